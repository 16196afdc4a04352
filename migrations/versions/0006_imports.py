"""imports of companies (runs, changes for undo, remembered mappings); legal ID check verdicts

Revision ID: 0006i
Revises: 0003
Create Date: 2026-11-28 02:16:27.539087

- imports, import_changes, import_mappings: see admin_app/models/imports.py;
- companies.legal_id_check: the legal ID's scheme and check-digit verdict, so the data-quality
  page counts invalid NIF/CIF and SIREN/SIRET in SQL; existing rows are classified here.
"""
import sqlalchemy as sa
from alembic import op

from admin_app.legal_ids import legal_id_check

BACKFILL_CHUNK = 2000


# revision identifiers, used by Alembic.
revision = '0006i'
down_revision = '0004t'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('headers_key', sa.String(length=64), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_mappings_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('headers_key', name=op.f('uq_import_mappings_headers_key'))
    )
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_mappings_user_id'), ['user_id'], unique=False)

    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'done', 'failed', 'undone')", name=op.f('ck_imports_status')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_imports_undone_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_imports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_imports_token'))
    )
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_imports_undone_by_id'), ['undone_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imports_user_id'), ['user_id'], unique=False)

    op.create_table('import_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=30), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=True),
    sa.Column('applied', sa.JSON(), nullable=True),
    sa.CheckConstraint("action IN ('create', 'update')", name=op.f('ck_import_changes_action')),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_import_changes_import_id_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_changes'))
    )
    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.create_index('ix_import_changes_import_id_entity_type_action', ['import_id', 'entity_type', 'action'], unique=False)

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_id_check', sa.String(length=8), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_companies_legal_id_check'), ['legal_id_check'], unique=False)
    _classify_existing_legal_ids()


def _classify_existing_legal_ids():
    conn = op.get_bind()
    companies = sa.table("companies", sa.column("id", sa.Integer),
                         sa.column("legal_id", sa.String), sa.column("legal_id_check", sa.String))
    last_id = 0
    while True:
        rows = conn.execute(sa.select(companies.c.id, companies.c.legal_id)
                            .where(companies.c.id > last_id, companies.c.legal_id.is_not(None),
                                   companies.c.legal_id != "")
                            .order_by(companies.c.id).limit(BACKFILL_CHUNK)).all()
        if not rows:
            return
        conn.execute(companies.update().where(companies.c.id == sa.bindparam("company_id"))
                     .values(legal_id_check=sa.bindparam("verdict")),
                     [{"company_id": i, "verdict": legal_id_check(v)} for i, v in rows])
        last_id = rows[-1][0]


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companies_legal_id_check'))
        batch_op.drop_column('legal_id_check')

    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_import_changes_import_id_entity_type_action')

    op.drop_table('import_changes')
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imports_user_id'))
        batch_op.drop_index(batch_op.f('ix_imports_undone_by_id'))
        batch_op.drop_index(batch_op.f('ix_imports_created_at'))

    op.drop_table('imports')
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_mappings_user_id'))

    op.drop_table('import_mappings')
