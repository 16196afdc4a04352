"""login sessions the server can end, two-factor login, security audit actions

Every login is a row of login_sessions (the cookie holds its token, the row its hash): logout,
"log out everywhere", a password or role change delete rows, and the cookies naming them stop
working. Users get a TOTP secret; recovery codes are stored hashed.

Revision ID: 0009a
Revises: 0008x
Create Date: 2026-11-28 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009a'
down_revision = '0008x'
branch_labels = None
depends_on = None

OLD_ACTIONS = ("create", "update", "delete", "merge", "unmerge", "convert", "transition",
               "payment", "login", "send")
NEW_ACTIONS = OLD_ACTIONS + ("login_fail", "lockout", "logout", "security")


def _actions(values) -> str:
    return "action IN ({})".format(", ".join(f"'{v}'" for v in values))


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'])
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'])

    # ALTER TABLE ... ADD COLUMN, never a batch rebuild: on SQLite a rebuild of users would fire
    # the ON DELETE actions of every table referencing it (see 0004t).
    timestamp = "DATETIME" if op.get_bind().dialect.name == "sqlite" else "TIMESTAMP"
    op.execute("ALTER TABLE users ADD COLUMN totp_secret VARCHAR(64)")
    op.execute(f"ALTER TABLE users ADD COLUMN totp_enabled_at {timestamp}")
    op.execute("ALTER TABLE users ADD COLUMN totp_last_step INTEGER")

    # SQLite rebuilds audit_log to change its CHECK (nothing references the table);
    # PostgreSQL alters the constraint in place.
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_action'), _actions(NEW_ACTIONS))


def downgrade():
    op.execute("DELETE FROM audit_log WHERE action IN ('login_fail', 'lockout', 'logout', "
               "'security')")
    with op.batch_alter_table('audit_log') as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_action'), _actions(OLD_ACTIONS))
    for column in ('totp_last_step', 'totp_enabled_at', 'totp_secret'):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")  # SQLite >= 3.35: no rebuild
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
