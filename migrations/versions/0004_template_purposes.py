"""template purposes and defaults, document texts, shared document versions

Email templates get a purpose and one default per purpose; comment templates keep one default,
now in the database too; document texts (quote and invoice notes and footers) are new; a shared
document replaced by a new version keeps the old row, linked from the new one.

Revision ID: 0004t
Revises: 0003
Create Date: 2026-11-28 12:00:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004t'
down_revision = '0003'
branch_labels = None
depends_on = None

EMAIL_PURPOSES = ("exchange", "quote_sending", "invoice_sending", "payment_reminder",
                  "signature_request", "meeting_invitation")
DOCUMENT_TEXT_PURPOSES = ("quote_notes", "quote_footer", "invoice_notes", "invoice_footer")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _default_where():
    return {"sqlite_where": sa.text("is_default = 1"), "postgresql_where": sa.text("is_default")}


def upgrade():
    # Columns are added with ALTER TABLE ... ADD COLUMN and their constraints inline, never by a
    # batch rebuild: on SQLite a rebuild drops the old table, and with foreign keys on that
    # fires the ON DELETE actions of the tables referencing it (exchanges would lose their
    # template, emails their attachments).
    op.execute(
        "ALTER TABLE email_templates ADD COLUMN purpose VARCHAR(20) DEFAULT 'exchange' NOT NULL "
        f"CONSTRAINT ck_email_templates_purpose CHECK ({_in('purpose', EMAIL_PURPOSES)})")
    op.execute("ALTER TABLE email_templates ADD COLUMN is_default BOOLEAN DEFAULT false NOT NULL")
    op.create_index('uq_email_templates_default', 'email_templates', ['purpose'], unique=True,
                    **_default_where())

    # At most one default comment template: keep the oldest, as default_comments() already did.
    comments = sa.table("comment_templates", sa.column("id", sa.Integer),
                        sa.column("is_default", sa.Boolean))
    first = sa.select(sa.func.min(comments.c.id)).where(comments.c.is_default == sa.true())
    op.execute(comments.update().where(comments.c.is_default == sa.true(),
                                       comments.c.id != first.scalar_subquery())
               .values(is_default=False))
    op.create_index('uq_comment_templates_default', 'comment_templates', ['is_default'],
                    unique=True, **_default_where())

    op.create_table('document_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.CheckConstraint(_in('purpose', DOCUMENT_TEXT_PURPOSES),
                       name=op.f('ck_document_texts_purpose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_texts')),
    sa.UniqueConstraint('name', name=op.f('uq_document_texts_name'))
    )
    op.create_index('uq_document_texts_default', 'document_texts', ['purpose'], unique=True,
                    **_default_where())

    op.execute("ALTER TABLE documents ADD COLUMN version INTEGER DEFAULT 1 NOT NULL "
               "CONSTRAINT ck_documents_version_positive CHECK (version >= 1)")
    op.execute("ALTER TABLE documents ADD COLUMN previous_version_id INTEGER "
               "CONSTRAINT fk_documents_previous_version_id_documents REFERENCES documents (id) "
               "ON DELETE SET NULL")
    op.create_index('uq_documents_previous_version_id', 'documents', ['previous_version_id'],
                    unique=True)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index('uq_documents_previous_version_id', table_name='documents')
    with _foreign_keys_off(), op.batch_alter_table('documents', schema=None) as batch_op:
        if not sqlite:  # SQLite reflects this inline foreign key without its name
            batch_op.drop_constraint(op.f('fk_documents_previous_version_id_documents'),
                                     type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_documents_version_positive'), type_='check')
        batch_op.drop_column('previous_version_id')
        batch_op.drop_column('version')

    op.drop_index('uq_document_texts_default', table_name='document_texts',
                  **_default_where())
    op.drop_table('document_texts')

    op.drop_index('uq_comment_templates_default', table_name='comment_templates',
                  **_default_where())

    op.drop_index('uq_email_templates_default', table_name='email_templates',
                  **_default_where())
    with _foreign_keys_off(), op.batch_alter_table('email_templates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_email_templates_purpose'), type_='check')
        batch_op.drop_column('is_default')
        batch_op.drop_column('purpose')


@contextmanager
def _foreign_keys_off():
    """SQLite drops a column by rebuilding the table: with foreign keys on, dropping the old
    table would fire the ON DELETE of every table referencing it. The pragma is ignored inside
    a transaction, hence the commits around it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.commit()
        raw.execute("PRAGMA foreign_keys=ON")
