"""The data-quality checks as SQL over one row, and the three flags that make every check a test
on one row: what the data-quality page counts from running tallies (`quality_tallies`,
models/office_tallies.py) instead of reading every company and contact.

- `companies.has_main_address`: whether one of the company's addresses is its main one;
- `companies.last_exchange_at`: when its latest exchange took place (a lead touched by an
  exchange within a year is not stale);
- `contacts.domain_mismatch`: the contact's email is not at its company's email domain (free
  mail, whose domain is not kept, excepted).

Triggers keep them, whoever writes (forms, imports, merges and their undo, plain SQL): on
`addresses`, on `exchanges`, and on `contacts` and a change of a company's `email_domain`. A
company deleted with its addresses or contacts leaves nothing behind: its own row, flags
included, is what its tally removes.

A lead is stale when the day of its last touch (its own last change or its latest exchange,
whichever is later) is before the day a year ago: the tallies count leads by that day, so the
count follows the calendar without a write. Migration 0026 creates the same objects; the
listeners below create them wherever a schema is built with `create_all()`.

A literal "%" here is a LIKE wildcard: DDL() text goes through Python's %-formatting, so the
listeners double it (migrations run the text as it is).
"""
from sqlalchemy import DDL, event

from ..extensions import db


# Reviewed (bandit B608, every line marked below): SQL built from this module's constants only.
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
    return f"EXISTS (SELECT 1 FROM addresses AS a WHERE a.company_id = {company_id} AND a.is_main)"  # nosec B608


def _mismatch(contact: str) -> str:
    """Whether the contact known as `contact` has an email outside its company's domain."""
    return (f"EXISTS (SELECT 1 FROM companies AS co WHERE co.id = {contact}.company_id "  # nosec B608
            f"AND co.email_domain <> '' AND {contact}.email IS NOT NULL "
            f"AND trim({contact}.email) <> '' "
            f"AND lower({contact}.email) NOT LIKE ('%@' || co.email_domain))")


def _refresh_main(company_id: str) -> str:
    """SQLite: set one company's flag from its addresses (no write when it is right already)."""
    has = _has_main("companies.id")
    return (f"UPDATE companies SET has_main_address = {has} "  # nosec B608
            f"WHERE id = {company_id} AND has_main_address IS NOT {has}")


def _refresh_contacts(where: str) -> str:
    """SQLite: set the flag of the contacts `where` says (no write when it is right already)."""
    mismatch = _mismatch("contacts")
    return (f"UPDATE contacts SET domain_mismatch = {mismatch} "  # nosec B608
            f"WHERE {where} AND domain_mismatch IS NOT {mismatch}")


def _latest(company_id: str) -> str:
    return f"(SELECT max(e.occurred_at) FROM exchanges AS e WHERE e.company_id = {company_id})"  # nosec B608


def _later(company_id: str, occurred_at: str) -> str:
    """SQLite: an exchange at `occurred_at` may be the company's latest."""
    return (f"UPDATE companies SET last_exchange_at = {occurred_at} WHERE id = {company_id} "  # nosec B608
            f"AND (last_exchange_at IS NULL OR last_exchange_at < {occurred_at})")


def _recount_latest(company_id: str, occurred_at: str) -> str:
    """SQLite: an exchange at `occurred_at` left; it was the latest if none is later."""
    return (f"UPDATE companies SET last_exchange_at = {_latest('companies.id')} "  # nosec B608
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
        f"IF {mains} THEN UPDATE companies AS c SET has_main_address = {has} "  # nosec B608
        f"WHERE c.id = ANY (ARRAY({ids})) AND c.has_main_address IS DISTINCT FROM {has}; "
        f"END IF; RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON addresses "
        f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _postgresql_last_exchange(operation: str, referencing: str) -> list[str]:
    # Once per statement. Rows gone (deleted, or moved by an update): their companies' latest
    # is read again where one of them was it; rows come: a later one is the new latest. The
    # companies are found by primary key from an array, as above. Each transition table is
    # read once, into a CTE: a merge moving 50,000 exchanges hands over 50,000 rows each side.
    gone = ("WITH o AS (SELECT company_id, max(occurred_at) AS top FROM old_rows GROUP BY "
            f"company_id) UPDATE companies AS c SET last_exchange_at = {_latest('c.id')} "  # nosec B608
            "FROM o WHERE c.id = ANY (ARRAY(SELECT company_id FROM o)) AND c.id = o.company_id "
            "AND c.last_exchange_at <= o.top; ")
    came = ("WITH n AS (SELECT company_id, max(occurred_at) AS top FROM new_rows GROUP BY "
            "company_id) UPDATE companies AS c SET last_exchange_at = n.top FROM n "
            "WHERE c.id = ANY (ARRAY(SELECT company_id FROM n)) AND c.id = n.company_id "
            "AND (c.last_exchange_at IS NULL OR c.last_exchange_at < n.top); ")
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
    "CREATE OR REPLACE FUNCTION companies_contacts_domain_mismatch() RETURNS trigger "  # nosec B608
    f"LANGUAGE plpgsql AS $$ BEGIN UPDATE contacts AS k SET domain_mismatch = {_mismatch('k')} "
    f"WHERE k.company_id = NEW.id AND k.domain_mismatch IS DISTINCT FROM {_mismatch('k')}; "
    "RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER companies_contacts_domain_mismatch AFTER UPDATE OF email_domain "
    "ON companies FOR EACH ROW WHEN (OLD.email_domain IS DISTINCT FROM NEW.email_domain) "
    "EXECUTE FUNCTION companies_contacts_domain_mismatch()",
]
# The flags of the rows already there (a migrated database).
BACKFILL = [
    f"UPDATE companies SET has_main_address = {_has_main('companies.id')}, "  # nosec B608
    f"last_exchange_at = {_latest('companies.id')}",
    f"UPDATE contacts SET domain_mismatch = {_mismatch('contacts')}",  # nosec B608
]


def ddl(statement: str) -> DDL:
    return DDL(statement.replace("%", "%%"))


for _statement in SQLITE_STATEMENTS:
    event.listen(db.metadata, "after_create", ddl(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_STATEMENTS:
    event.listen(db.metadata, "after_create", ddl(_statement).execute_if(dialect="postgresql"))
