"""outbox of outgoing mail, meeting attendees and invitations, calendar feeds

Every email written in the application is first a row here, committed with the exchange it
belongs to; delivery reads it after the commit. Meetings get attendees (contacts and users), the
UID and SEQUENCE of their calendar invitation, and a cancellation time.

Revision ID: 0008x
Revises: 0004t
Create Date: 2026-11-28 03:20:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008x'
down_revision = '0006i'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exchange_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')",
                       name=op.f('ck_outbox_messages_status')),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'],
                            name=op.f('fk_outbox_messages_exchange_id_exchanges'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    op.create_index(op.f('ix_outbox_messages_created_at'), 'outbox_messages', ['created_at'])
    op.create_index(op.f('ix_outbox_messages_exchange_id'), 'outbox_messages', ['exchange_id'])
    op.create_index('ix_outbox_messages_status_next_attempt_at', 'outbox_messages',
                    ['status', 'next_attempt_at'])

    # Added with ALTER TABLE ... ADD COLUMN, never a batch rebuild (see 0004t: on SQLite a
    # rebuild of exchanges would fire the ON DELETE of the tables referencing it).
    op.execute("ALTER TABLE exchanges ADD COLUMN ics_uid VARCHAR(255)")
    op.execute("ALTER TABLE exchanges ADD COLUMN ics_sequence INTEGER DEFAULT 0 NOT NULL")
    timestamp = "DATETIME" if op.get_bind().dialect.name == "sqlite" else "TIMESTAMP"
    op.execute(f"ALTER TABLE exchanges ADD COLUMN cancelled_at {timestamp}")
    op.create_index('uq_exchanges_ics_uid', 'exchanges', ['ics_uid'], unique=True)
    op.create_table('meeting_contacts',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_meeting_contacts_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'],
                            name=op.f('fk_meeting_contacts_exchange_id_exchanges'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'contact_id', name=op.f('pk_meeting_contacts'))
    )
    op.create_index(op.f('ix_meeting_contacts_contact_id'), 'meeting_contacts', ['contact_id'])
    op.create_table('meeting_users',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchanges.id'],
                            name=op.f('fk_meeting_users_exchange_id_exchanges'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_meeting_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exchange_id', 'user_id', name=op.f('pk_meeting_users'))
    )
    op.create_index(op.f('ix_meeting_users_user_id'), 'meeting_users', ['user_id'])

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    op.create_index(op.f('ix_calendar_feeds_created_at'), 'calendar_feeds', ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_calendar_feeds_created_at'), table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
    op.drop_index(op.f('ix_meeting_users_user_id'), table_name='meeting_users')
    op.drop_table('meeting_users')
    op.drop_index(op.f('ix_meeting_contacts_contact_id'), table_name='meeting_contacts')
    op.drop_table('meeting_contacts')
    op.drop_index('uq_exchanges_ics_uid', table_name='exchanges')
    with _foreign_keys_off(), op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('ics_sequence')
        batch_op.drop_column('ics_uid')
    op.drop_index('ix_outbox_messages_status_next_attempt_at', table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_exchange_id'), table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_created_at'), table_name='outbox_messages')
    op.drop_table('outbox_messages')


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
