"""the data-quality counts as running tallies kept by triggers

The data-quality page counted each check over every live company and every contact: 19 + 15 +
14 + 54 ms at 10,000 companies on SQLite, ten times that at 100,000. Three flags, kept by
triggers, now make every check a test on one row: `companies.has_main_address` (from
`addresses`), `companies.last_exchange_at` (from `exchanges`) and `contacts.domain_mismatch`
(from the contact's email and its company's `email_domain`). Triggers on `companies` and
`contacts` then add +/- rows to `quality_tallies`, one column per check, leads keyed by the day
they were last touched (models/quality_flags.py and models/office_tallies.py build the same for
create_all). The rows already there are flagged and tallied once here.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 03:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# Written out here (models/quality_flags.py and models/office_tallies.py build the same for
# create_all), so that a later change to the models does not rewrite history. op.execute() runs
# the text as it is: a "%" is a LIKE wildcard.
def _missing(column: str) -> str:
    return f"({{r}}.{column} IS NULL OR trim({{r}}.{column}) = '')"


# Each check over a live company's row known as {r}; services/data_quality.py filters the lists
# with the same text, and the tallies count it.
COMPANY_ROW_CHECKS = {
    "no_email": _missing("email"),
    "no_phone": _missing("phone"),
    "unreachable": f"({_missing('email')} AND {_missing('phone')})",
    # The shape every address has (something@something.tld, no space, one @).
    "invalid_email": f"(NOT {_missing('email')} AND ({{r}}.email NOT LIKE '%_@_%._%' "
                     "OR {r}.email LIKE '% %' OR {r}.email LIKE '%@%@%'))",
    "bad_es_id": "({r}.legal_id_check = 'es_bad')",
    "bad_fr_id": "({r}.legal_id_check = 'fr_bad')",
    "no_main_address": "(NOT {r}.has_main_address)",
}


# The day a company was last touched, over its row known as {r}: the same text on both
# databases (PostgreSQL's date() is a cast; SQLite's gives the date's ISO text, as stored).
TOUCH_DAY = ("date(CASE WHEN {r}.last_exchange_at > {r}.updated_at THEN {r}.last_exchange_at "
             "ELSE {r}.updated_at END)")
LEAD = "({r}.status = 'lead')"


def _has_main(company_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM addresses AS a WHERE a.company_id = {company_id} AND a.is_main)"


def _mismatch(contact: str) -> str:
    """Whether the contact known as `contact` has an email outside its company's domain."""
    return (f"EXISTS (SELECT 1 FROM companies AS co WHERE co.id = {contact}.company_id "
            f"AND co.email_domain <> '' AND {contact}.email IS NOT NULL "
            f"AND trim({contact}.email) <> '' "
            f"AND lower({contact}.email) NOT LIKE ('%@' || co.email_domain))")


def _refresh_main(company_id: str) -> str:
    """SQLite: set one company's flag from its addresses (no write when it is right already)."""
    has = _has_main("companies.id")
    return (f"UPDATE companies SET has_main_address = {has} "
            f"WHERE id = {company_id} AND has_main_address IS NOT {has}")


def _refresh_contacts(where: str) -> str:
    """SQLite: set the flag of the contacts `where` says (no write when it is right already)."""
    mismatch = _mismatch("contacts")
    return (f"UPDATE contacts SET domain_mismatch = {mismatch} "
            f"WHERE {where} AND domain_mismatch IS NOT {mismatch}")


def _latest(company_id: str) -> str:
    return f"(SELECT max(e.occurred_at) FROM exchanges AS e WHERE e.company_id = {company_id})"


def _later(company_id: str, occurred_at: str) -> str:
    """SQLite: an exchange at `occurred_at` may be the company's latest."""
    return (f"UPDATE companies SET last_exchange_at = {occurred_at} WHERE id = {company_id} "
            f"AND (last_exchange_at IS NULL OR last_exchange_at < {occurred_at})")


def _recount_latest(company_id: str, occurred_at: str) -> str:
    """SQLite: an exchange at `occurred_at` left; it was the latest if none is later."""
    return (f"UPDATE companies SET last_exchange_at = {_latest('companies.id')} "
            f"WHERE id = {company_id} AND last_exchange_at <= {occurred_at}")


SQLITE_STATEMENTS = [
    "CREATE TRIGGER IF NOT EXISTS companies_last_exchange_ai AFTER INSERT ON exchanges "
    f"BEGIN {_later('new.company_id', 'new.occurred_at')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_last_exchange_ad AFTER DELETE ON exchanges "
    f"BEGIN {_recount_latest('old.company_id', 'old.occurred_at')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_last_exchange_au AFTER UPDATE OF company_id, "
    f"occurred_at ON exchanges BEGIN {_recount_latest('old.company_id', 'old.occurred_at')}; "
    f"{_later('new.company_id', 'new.occurred_at')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_main_address_ai AFTER INSERT ON addresses "
    f"BEGIN {_refresh_main('new.company_id')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_main_address_ad AFTER DELETE ON addresses "
    f"BEGIN {_refresh_main('old.company_id')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_main_address_au AFTER UPDATE OF company_id, is_main "
    f"ON addresses BEGIN {_refresh_main('old.company_id')}; {_refresh_main('new.company_id')}; "
    "END",
    "CREATE TRIGGER IF NOT EXISTS contacts_domain_mismatch_ai AFTER INSERT ON contacts "
    f"BEGIN {_refresh_contacts('id = new.id')}; END",
    "CREATE TRIGGER IF NOT EXISTS contacts_domain_mismatch_au AFTER UPDATE OF email, company_id "
    f"ON contacts BEGIN {_refresh_contacts('id = new.id')}; END",
    "CREATE TRIGGER IF NOT EXISTS companies_contacts_domain_mismatch_au AFTER UPDATE OF "
    "email_domain ON companies WHEN old.email_domain IS NOT new.email_domain "
    f"BEGIN {_refresh_contacts('company_id = new.id')}; END",
]


def _postgresql_main_address(operation: str, ids: str, mains: str, referencing: str) -> list[str]:
    # Once per statement: a merge moving thousands of addresses sets each company's flag once.
    # Only a main address can change a flag (`mains`: one was written or removed): the others
    # skip the update, and with it the companies' own statement triggers. The companies are
    # found by primary key from an array: a join with the transition table may be planned as a
    # scan of every company.
    function = f"companies_main_address_{operation}"
    has = _has_main("c.id")
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {mains} THEN UPDATE companies AS c SET has_main_address = {has} "
        f"WHERE c.id = ANY (ARRAY({ids})) AND c.has_main_address IS DISTINCT FROM {has}; "
        f"END IF; RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON addresses "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _postgresql_last_exchange(operation: str, referencing: str) -> list[str]:
    # Once per statement. Rows gone (deleted, or moved by an update): their companies' latest
    # is read again where one of them was it; rows come: a later one is the new latest. The
    # companies are found by primary key from an array, as above.
    gone = (f"UPDATE companies AS c SET last_exchange_at = {_latest('c.id')} FROM (SELECT "
            "company_id, max(occurred_at) AS top FROM old_rows GROUP BY company_id) AS o "
            "WHERE c.id = ANY (ARRAY(SELECT DISTINCT company_id FROM old_rows)) "
            "AND c.id = o.company_id AND c.last_exchange_at <= o.top; ")
    came = ("UPDATE companies AS c SET last_exchange_at = n.top FROM (SELECT company_id, "
            "max(occurred_at) AS top FROM new_rows GROUP BY company_id) AS n "
            "WHERE c.id = ANY (ARRAY(SELECT DISTINCT company_id FROM new_rows)) "
            "AND c.id = n.company_id AND (c.last_exchange_at IS NULL "
            "OR c.last_exchange_at < n.top); ")
    body = {"insert": came, "delete": gone, "update": gone + came}[operation]
    function = f"companies_last_exchange_{operation}"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{body}RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON exchanges "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


POSTGRESQL_STATEMENTS = [
    *_postgresql_last_exchange("insert", "NEW TABLE AS new_rows"),
    *_postgresql_last_exchange("delete", "OLD TABLE AS old_rows"),
    *_postgresql_last_exchange("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    *_postgresql_main_address("insert", "SELECT DISTINCT company_id FROM new_rows",
                              "EXISTS (SELECT 1 FROM new_rows WHERE is_main)",
                              "NEW TABLE AS new_rows"),
    *_postgresql_main_address("delete", "SELECT DISTINCT company_id FROM old_rows",
                              "EXISTS (SELECT 1 FROM old_rows WHERE is_main)",
                              "OLD TABLE AS old_rows"),
    *_postgresql_main_address(
        "update", "SELECT company_id FROM old_rows UNION SELECT company_id FROM new_rows",
        "(EXISTS (SELECT 1 FROM old_rows WHERE is_main) "
        "OR EXISTS (SELECT 1 FROM new_rows WHERE is_main))",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    # A contact's own flag is set before its row is written, so the tallies see it.
    "CREATE OR REPLACE FUNCTION contacts_domain_mismatch() RETURNS trigger LANGUAGE plpgsql "
    f"AS $$ BEGIN NEW.domain_mismatch := {_mismatch('NEW')}; RETURN NEW; END $$",
    "CREATE OR REPLACE TRIGGER contacts_domain_mismatch BEFORE INSERT OR UPDATE OF email, "
    "company_id ON contacts FOR EACH ROW EXECUTE FUNCTION contacts_domain_mismatch()",
    "CREATE OR REPLACE FUNCTION companies_contacts_domain_mismatch() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN UPDATE contacts AS k SET domain_mismatch = {_mismatch('k')} "
    f"WHERE k.company_id = NEW.id AND k.domain_mismatch IS DISTINCT FROM {_mismatch('k')}; "
    "RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER companies_contacts_domain_mismatch AFTER UPDATE OF email_domain "
    "ON companies FOR EACH ROW WHEN (OLD.email_domain IS DISTINCT FROM NEW.email_domain) "
    "EXECUTE FUNCTION companies_contacts_domain_mismatch()",
]
# The flags of the rows already there (a migrated database).
BACKFILL = [
    f"UPDATE companies SET has_main_address = {_has_main('companies.id')}, "
    f"last_exchange_at = {_latest('companies.id')}",
    f"UPDATE contacts SET domain_mismatch = {_mismatch('contacts')}",
]

NO_DAY = "CAST(NULL AS DATE)"  # typed: PostgreSQL's UNION of two bare NULLs would be text
# Per tally table and per table tallied: the key columns and the value columns as SQL over a
# row alias {r} (the values are signed when a row leaves), which rows count, and the columns
# whose change can move a row from one key to another; then, optionally, COMPARE_ADDED: a
# change to those columns is tallied (SQLite) only when what the row adds changes.
COMPARE_ADDED = "compare what the row adds"
TALLIED = {
    ("quality_tallies", "companies"): (
        {"source": "'companies'", "day": f"CASE WHEN {LEAD} THEN {TOUCH_DAY} END"},
        {**{key: f"CASE WHEN {check} THEN 1 ELSE 0 END"
            for key, check in COMPANY_ROW_CHECKS.items()},
         "leads": f"CASE WHEN {LEAD} THEN 1 ELSE 0 END"},
        "{r}.merged_into_id IS NULL",
        ("email", "phone", "legal_id_check", "has_main_address", "merged_into_id", "status",
         "updated_at", "last_exchange_at"), COMPARE_ADDED),
    ("quality_tallies", "contacts"): (
        {"source": "'contacts'", "day": NO_DAY}, {"contact_mismatch": "1"},
        "{r}.domain_mismatch", ("domain_mismatch",)),
}
QUALITY_COUNTS = (*COMPANY_ROW_CHECKS, "contact_mismatch", "leads")


def _part(tally: str, table: str, row: str, sign: int, source: str = "") -> str:
    """The tally rows (`sign`: +1 or -1) of the rows of `table` known as `row`, read FROM
    `source` (none: a trigger's one row, new or old)."""
    keys, values, counts, _watched = TALLIED[tally, table][:4]
    columns = [f"{sql.format(r=row)} AS {name}" for name, sql in keys.items()]
    columns += [f"{sign} * ({sql.format(r=row)}) AS {name}" for name, sql in values.items()]
    read = f" FROM {source} AS {row}" if source else ""
    # Reviewed (bandit B608, here and below): SQL from this module's constants only.
    return f"SELECT {', '.join(columns)}{read} WHERE {counts.format(r=row)}"


def _columns(tally: str, table: str) -> tuple[list[str], list[str]]:
    keys, values, _counts, _watched = TALLIED[tally, table][:4]
    return list(keys), list(values)


def _sqlite_triggers(tally: str, table: str) -> list[str]:
    key_sql, value_sql, counts, watched, *compare = TALLIED[tally, table]
    keys, values = list(key_sql), list(value_sql)
    insert = f"INSERT INTO {tally} ({', '.join(keys + values)}) "
    plus, minus = insert + _part(tally, table, "new", 1), insert + _part(tally, table, "old", -1)
    if compare == [COMPARE_ADDED]:
        changed = " OR ".join(f"({sql.format(r='old')}) IS NOT ({sql.format(r='new')})"
                              for sql in (*key_sql.values(), *value_sql.values(), counts))
    else:
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_ai AFTER INSERT ON {table} "
        f"BEGIN {plus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_ad AFTER DELETE ON {table} "
        f"BEGIN {minus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_au AFTER UPDATE OF "
        f"{', '.join(watched)} ON {table} WHEN {changed} BEGIN {minus}; {plus}; END",
    ]


def _summed(tally: str, table: str, parts: list[str]) -> str:
    keys, values = _columns(tally, table)
    sums = ", ".join(f"sum({v})" for v in values)
    nonzero = " OR ".join(f"sum({v}) <> 0" for v in values)
    return (f"INSERT INTO {tally} ({', '.join(keys + values)}) "
            f"SELECT {', '.join(keys)}, {sums} FROM ({' UNION ALL '.join(parts)}) AS change "
            f"GROUP BY {', '.join(keys)} HAVING {nonzero}")


def _postgresql_triggers(tally: str, table: str) -> list[str]:
    statements = []
    for operation, parts, referencing in (
            ("insert", [_part(tally, table, "n", 1, "new_rows")], "NEW TABLE AS new_rows"),
            ("delete", [_part(tally, table, "o", -1, "old_rows")], "OLD TABLE AS old_rows"),
            ("update", [_part(tally, table, "o", -1, "old_rows"),
                        _part(tally, table, "n", 1, "new_rows")],
             "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        function = f"{tally}_{table}_{operation}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_summed(tally, table, parts)}; RETURN NULL; END $$",
            f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


TALLY_SQLITE = [s for key in TALLIED for s in _sqlite_triggers(*key)]
TALLY_POSTGRESQL = [s for key in TALLIED for s in _postgresql_triggers(*key)]
TALLY_BACKFILL = [_summed(tally, table, [_part(tally, table, "r", 1, table)])
                  for tally, table in TALLIED]


def upgrade():
    op.add_column('companies', sa.Column('has_main_address', sa.Boolean(), nullable=False,
                                         server_default=sa.text('false')))
    op.add_column('companies', sa.Column('last_exchange_at', sa.DateTime(), nullable=True))
    op.add_column('contacts', sa.Column('domain_mismatch', sa.Boolean(), nullable=False,
                                        server_default=sa.text('false')))
    op.create_table(
        'quality_tallies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default='0')
          for name in QUALITY_COUNTS),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_tallies')),
    )
    for statement in BACKFILL + TALLY_BACKFILL:
        op.execute(statement)
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in (SQLITE_STATEMENTS + TALLY_SQLITE if sqlite
                      else POSTGRESQL_STATEMENTS + TALLY_POSTGRESQL):
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in ('companies_main_address_ai', 'companies_main_address_ad',
                     'companies_main_address_au', 'companies_last_exchange_ai',
                     'companies_last_exchange_ad', 'companies_last_exchange_au',
                     'contacts_domain_mismatch_ai',
                     'contacts_domain_mismatch_au', 'companies_contacts_domain_mismatch_au',
                     *(f'quality_tallies_{table}_{suffix}' for table in ('companies', 'contacts')
                       for suffix in ('ai', 'ad', 'au'))):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for operation in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS companies_main_address_{operation} ON addresses")
            op.execute(f"DROP FUNCTION IF EXISTS companies_main_address_{operation}()")
            op.execute(f"DROP TRIGGER IF EXISTS companies_last_exchange_{operation} ON exchanges")
            op.execute(f"DROP FUNCTION IF EXISTS companies_last_exchange_{operation}()")
            for table in ('companies', 'contacts'):
                op.execute(f"DROP TRIGGER IF EXISTS quality_tallies_{table}_{operation} "
                           f"ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS quality_tallies_{table}_{operation}()")
        op.execute("DROP TRIGGER IF EXISTS contacts_domain_mismatch ON contacts")
        op.execute("DROP FUNCTION IF EXISTS contacts_domain_mismatch()")
        op.execute("DROP TRIGGER IF EXISTS companies_contacts_domain_mismatch ON companies")
        op.execute("DROP FUNCTION IF EXISTS companies_contacts_domain_mismatch()")
    op.drop_table('quality_tallies')
    # ALTER TABLE on both (SQLite 3.35+): a batch copy of companies would fail on its generated
    # search column.
    for table, column in (('contacts', 'domain_mismatch'), ('companies', 'has_main_address'),
                          ('companies', 'last_exchange_at')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
