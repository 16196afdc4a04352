"""outbox of outgoing mail

Every email written in the application is first a row here, committed with the exchange it
belongs to; delivery reads it after the commit.

Revision ID: 0008x
Revises: 0004t
Create Date: 2026-11-28 03:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008x'
down_revision = '0004t'
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


def downgrade():
    op.drop_index('ix_outbox_messages_status_next_attempt_at', table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_exchange_id'), table_name='outbox_messages')
    op.drop_index(op.f('ix_outbox_messages_created_at'), table_name='outbox_messages')
    op.drop_table('outbox_messages')
