"""signature requests, an "expired" document signature status, a default signature-request email

A document sent for signature gets a request row per signer: the SHA-256 of its portal token (the
token itself is only in the email), its expiry, the signer's decision and evidence, and the
signed copy. The default "signature request" email template carries the portal link.

Revision ID: 0011d
Revises: 0008x
Create Date: 2026-11-28 05:00:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011d'
down_revision = '0009a'
branch_labels = None
depends_on = None

OLD_STATUSES = ("none", "pending", "signed", "declined")
NEW_STATUSES = OLD_STATUSES + ("expired",)
REQUEST_STATUSES = ("pending", "signed", "declined", "cancelled", "expired")
DEFAULT_NAME = "Signature request"
DEFAULT_SUBJECT = "Please sign: {{ document.title }}"
DEFAULT_BODY = (
    "<p>Hello {{ contact.full_name }},</p>"
    "<p>{{ sender.name }} asks you to read and sign “{{ document.title }}”.</p>"
    '<p><a href="{{ signature.link }}">Open the document to sign it</a></p>'
    "<p>The link is personal and works until {{ signature.expires_on }}.</p>"
    "<p>{{ user.full_name }}</p>")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table('signature_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('signer_name', sa.String(length=150), nullable=False),
    sa.Column('signer_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('signed_file', sa.String(length=100), nullable=True),
    sa.Column('signed_sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint(_in('status', REQUEST_STATUSES),
                       name=op.f('ck_signature_requests_status')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_signature_requests_contact_id_contacts'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                            name=op.f('fk_signature_requests_document_id_documents'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                            name=op.f('fk_signature_requests_requested_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_requests')),
    sa.UniqueConstraint('signed_file', name=op.f('uq_signature_requests_signed_file')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signature_requests_token_hash'))
    )
    for column in ('contact_id', 'created_at', 'document_id', 'requested_by_id',
                   'signed_sha256'):
        op.create_index(op.f(f'ix_signature_requests_{column}'), 'signature_requests', [column])
    _replace_status_check(OLD_STATUSES, NEW_STATUSES)

    templates = sa.table("email_templates", sa.column("name", sa.String),
                         sa.column("subject", sa.String), sa.column("body", sa.Text),
                         sa.column("purpose", sa.String), sa.column("is_default", sa.Boolean))
    bind = op.get_bind()
    taken = bind.execute(sa.select(sa.func.count()).select_from(templates).where(
        (templates.c.name == DEFAULT_NAME)
        | ((templates.c.purpose == "signature_request") & (templates.c.is_default == sa.true()))
    )).scalar()
    if not taken:
        op.bulk_insert(templates, [{"name": DEFAULT_NAME, "subject": DEFAULT_SUBJECT,
                                    "body": DEFAULT_BODY, "purpose": "signature_request",
                                    "is_default": True}])


def downgrade():
    op.execute("UPDATE documents SET signature_status = 'pending' "
               "WHERE signature_status = 'expired'")
    _replace_status_check(NEW_STATUSES, OLD_STATUSES)
    for column in ('signed_sha256', 'requested_by_id', 'document_id', 'created_at',
                   'contact_id'):
        op.drop_index(op.f(f'ix_signature_requests_{column}'), table_name='signature_requests')
    op.drop_table('signature_requests')


def _replace_status_check(old, new):
    name = op.f('ck_documents_signature_status')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(name, 'documents', type_='check')
        op.create_check_constraint(name, 'documents', _in('signature_status', new))
        return
    # SQLite keeps CHECK constraints in the table's CREATE statement: the table is rebuilt from
    # that statement with only the CHECK changed (the twelve steps of SQLite's ALTER TABLE page),
    # not by batch mode, which would lose the ON DELETE of the foreign keys added by ALTER TABLE.
    bind = op.get_bind()
    create = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                  "AND name = 'documents'")).scalar()
    indexes = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents' "
        "AND sql IS NOT NULL")).scalars().all()
    old_check, new_check = _in('signature_status', old), _in('signature_status', new)
    if old_check not in create:
        raise RuntimeError("documents: the signature_status CHECK is not the one expected")
    rebuilt = create.replace(old_check, new_check).replace(
        'CREATE TABLE documents', 'CREATE TABLE documents_rebuilt', 1).replace(
        'CREATE TABLE "documents"', 'CREATE TABLE documents_rebuilt', 1)
    with _foreign_keys_off():
        op.execute(rebuilt)
        op.execute("INSERT INTO documents_rebuilt SELECT * FROM documents")
        op.execute("DROP TABLE documents")
        op.execute("ALTER TABLE documents_rebuilt RENAME TO documents")
        for index in indexes:
            op.execute(index)


@contextmanager
def _foreign_keys_off():
    """SQLite rebuilds the table: with foreign keys on, dropping the old table would fire the ON
    DELETE of every table referencing it. The pragma is ignored inside a transaction, hence the
    commits around it."""
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
