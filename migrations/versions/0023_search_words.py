"""the company search's word index: a word's companies in name order

A search for a common word sorted its matches by name to show the first 25: ~4,000 matches of
"umbra" at 100,000 companies, ~40,000 at 1M, each read and sorted (1.3-2.5x from 10k to 100k).
`company_words` stores every word of a live company's searched values with the company's name,
indexed (word, name, id): the first matches of a word come from the index in list order.
`search_tokens` lists the words once, for finding the stored words that contain a searched word
(PostgreSQL: trigram index; SQLite: an FTS5 trigram table). Triggers on `companies` keep both
(models/search_words.py builds the same for create_all).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# Written out here (models/search_words.py builds the same for create_all), so that a later
# change to the model does not rewrite history.
WORDS = 'company_words'
TOKENS = 'search_tokens'
TOKENS_FTS = 'companies_search_tokens'
SEARCHED = ('name', 'email', 'phone', 'legal_id', 'website')
SEPARATORS = " \t\n\r\f\v\x01@.,;:-_/\\+()[]{}<>'\"`!?#$&*=|~^"
SQL_SEPARATORS = SEPARATORS[1:].replace("'", "''")


def _sqlite_words(row):
    return (f"SELECT {row}.id AS company_id, json_extract(j.value, '$[0]') AS token, "
            f"{row}.name AS name, json_extract(j.value, '$[1]') AS word_start "
            f"FROM json_each(company_words_json({', '.join(f'{row}.{c}' for c in SEARCHED)})) AS j")


def _postgresql_words(row):
    return ("SELECT m[2] AS token, bool_or(m[1] = ' ') AS word_start FROM unnest(ARRAY["
            + ", ".join(f"{row}.{c}" for c in SEARCHED) + "]) AS v(value), "
            f"regexp_matches(' ' || translate(lower(v.value), '{SQL_SEPARATORS}', "
            f"repeat(chr(1), {len(SEPARATORS) - 1})), '([ \\x01])([^ \\x01]+)', 'g') AS m "
            "WHERE v.value IS NOT NULL GROUP BY m[2]")


SQLITE_INSERT = (f"INSERT OR IGNORE INTO {WORDS} (company_id, token, name, word_start) "
                 f"{_sqlite_words('new')} WHERE coalesce(new.merged_into_id, 0) = 0; "
                 f"INSERT OR IGNORE INTO {TOKENS} (token) "
                 f"SELECT token FROM {WORDS} WHERE company_id = new.id;")
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER {TOKENS}_ai AFTER INSERT ON {TOKENS} BEGIN "
    f"INSERT INTO {TOKENS_FTS}(rowid, token) VALUES (new.id, new.token); END",
    f"CREATE TRIGGER {TOKENS}_ad AFTER DELETE ON {TOKENS} BEGIN "
    f"INSERT INTO {TOKENS_FTS}({TOKENS_FTS}, rowid, token) VALUES ('delete', old.id, old.token); "
    f"END",
    f"CREATE TRIGGER {WORDS}_ai AFTER INSERT ON companies BEGIN {SQLITE_INSERT} END",
    f"CREATE TRIGGER {WORDS}_ad AFTER DELETE ON companies "
    f"BEGIN DELETE FROM {WORDS} WHERE company_id = old.id; END",
    f"CREATE TRIGGER {WORDS}_au AFTER UPDATE OF {', '.join(SEARCHED)}, merged_into_id "
    f"ON companies BEGIN DELETE FROM {WORDS} WHERE company_id = old.id; {SQLITE_INSERT} END",
)
POSTGRESQL_TRIGGERS = (
    # The stream of one word's companies is planned before the word is known, for the average
    # word (a handful of rows): PostgreSQL then gathers every row of the word and sorts them.
    # Planned for a common word, it reads the index in order and stops at the page's end.
    f"ALTER TABLE {WORDS} ALTER COLUMN token SET (n_distinct = 10)",
    f"CREATE OR REPLACE FUNCTION {WORDS}_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN DELETE FROM {WORDS} WHERE company_id = OLD.id; END IF; "
    f"IF TG_OP <> 'DELETE' AND NEW.merged_into_id IS NULL THEN "
    f"INSERT INTO {WORDS} (company_id, token, name, word_start) "
    f"SELECT NEW.id, w.token, NEW.name, w.word_start FROM ({_postgresql_words('NEW')}) AS w; "
    f"INSERT INTO {TOKENS} (token) SELECT token FROM {WORDS} "
    f"WHERE company_id = NEW.id ON CONFLICT (token) DO NOTHING; "
    f"END IF; RETURN NULL; END $$",
    f"CREATE TRIGGER {WORDS}_aid AFTER INSERT OR DELETE ON companies "
    f"FOR EACH ROW EXECUTE FUNCTION {WORDS}_keep()",
    f"CREATE TRIGGER {WORDS}_au AFTER UPDATE OF {', '.join(SEARCHED)}, merged_into_id "
    f"ON companies FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in (*SEARCHED, 'merged_into_id'))
    + f") EXECUTE FUNCTION {WORDS}_keep()",
)


def upgrade():
    op.create_table(
        WORDS,
        sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('token', sa.Text(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('word_start', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('company_id', 'token', name=op.f('pk_company_words')),
    )
    op.create_table(
        TOKENS,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_tokens')),
        sa.UniqueConstraint('token', name=op.f('uq_search_tokens_token')),
    )
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # The rows first, the indexes after: one sort per index instead of an insert per row.
    if sqlite:
        op.execute(f"INSERT INTO {WORDS} (company_id, token, name, word_start) "
                   "SELECT c.id, json_extract(j.value, '$[0]'), c.name, "
                   "json_extract(j.value, '$[1]') FROM companies AS c, json_each("
                   f"company_words_json({', '.join(f'c.{c}' for c in SEARCHED)})) AS j "
                   "WHERE coalesce(c.merged_into_id, 0) = 0")
    else:
        op.execute(f"INSERT INTO {WORDS} (company_id, token, name, word_start) "
                   "SELECT c.id, w.token, c.name, w.word_start FROM companies AS c "
                   f"CROSS JOIN LATERAL ({_postgresql_words('c')}) AS w "
                   "WHERE c.merged_into_id IS NULL")
    op.execute(f"INSERT INTO {TOKENS} (token) SELECT DISTINCT token FROM {WORDS} ORDER BY token")
    op.create_index('ix_company_words_token_name', WORDS, ['token', 'name', 'company_id'])
    op.create_index('ix_company_words_start', WORDS, ['token', 'name', 'company_id'],
                    sqlite_where=sa.text('word_start = 1'),
                    postgresql_where=sa.text('word_start'))
    if sqlite:
        op.execute(f"CREATE VIRTUAL TABLE {TOKENS_FTS} USING fts5(token, content='{TOKENS}', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute(f"INSERT INTO {TOKENS_FTS}({TOKENS_FTS}) VALUES ('rebuild')")
    else:
        op.execute(f"CREATE INDEX ix_search_tokens_token_trgm ON {TOKENS} "
                   "USING gin (token gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_search_tokens_token_prefix ON {TOKENS} "
                   "(token text_pattern_ops)")
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in (f"{TOKENS}_ai", f"{TOKENS}_ad", f"{WORDS}_ai", f"{WORDS}_ad", f"{WORDS}_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {TOKENS_FTS}")
    else:
        for name in (f"{WORDS}_aid", f"{WORDS}_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON companies")
        op.execute(f"DROP FUNCTION IF EXISTS {WORDS}_keep()")
    op.drop_table(TOKENS)
    op.drop_table(WORDS)
