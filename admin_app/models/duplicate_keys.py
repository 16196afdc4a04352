"""The duplicates scan's blocking keys, stored per company, and the companies changed since.

`duplicate_keys` holds `block_keys()` of every live company (services/duplicate_keys.py keeps
it), so that re-scoring one edited company reads its blocks through the primary key instead of
reading every company; `duplicate_key_sources` holds the columns those keys were made from, so
that a company's stored keys are found again without a second index over millions of keys.
`duplicate_key_changes` lists the companies whose keys may have changed since: database
triggers on `companies` fill it, so every writer counts (forms, bulk imports, merges, plain
SQL). Migration 0016d creates the same triggers; the listeners below create them wherever a
schema is built with `metadata.create_all()`.

No table has a foreign key to `companies`: a deleted company's keys must outlive it until they
are read back (its blocks shrink), and the merge moves every row that references a company.
"""
from sqlalchemy import DDL, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# A company's name, its keys or its being live: what the scan reads from it.
WATCHED_COLUMNS = ("name", "name_key", "legal_id_key", "email_domain", "phone_key",
                   "merged_into_id")
CHANGES_TABLE = "duplicate_key_changes"


class DuplicateKey(db.Model):
    """One blocking key of one live company."""

    __tablename__ = "duplicate_keys"
    # The key first: a block's members are one range of the primary key (SQLite: no rowid).
    __table_args__ = {"sqlite_with_rowid": False}

    key: Mapped[str] = mapped_column(String(260), primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"<DuplicateKey {self.key} {self.company_id}>"


class DuplicateKeySource(db.Model):
    """What a live company's stored keys were made from (its columns block_keys() reads)."""

    __tablename__ = "duplicate_key_sources"

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name_key: Mapped[str] = mapped_column(String(200), nullable=False)
    legal_id_key: Mapped[str] = mapped_column(String(40), nullable=False)
    email_domain: Mapped[str] = mapped_column(String(254), nullable=False)
    phone_key: Mapped[str] = mapped_column(String(20), nullable=False)

    def __repr__(self) -> str:
        return f"<DuplicateKeySource {self.company_id}>"


class DuplicateKeyChange(db.Model):
    """A company whose keys are to be read again; `seq` grows with every change."""

    __tablename__ = CHANGES_TABLE
    # Without AUTOINCREMENT, SQLite would hand a deleted last seq out again, and a change made
    # while the list is being applied could be deleted with the ones that were read.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)

    def __repr__(self) -> str:
        return f"<DuplicateKeyChange {self.seq} {self.company_id}>"


def _differs(old: str, new: str, operator: str) -> str:
    return " OR ".join(f"{old}.{c} {operator} {new}.{c}" for c in WATCHED_COLUMNS)


# Reviewed (bandit B608, here and below): DDL from this module's constants only.
_SQLITE_NOTE = (f"DELETE FROM {CHANGES_TABLE} WHERE company_id = {{row}}.id; "  # nosec B608
                f"INSERT INTO {CHANGES_TABLE} (company_id) VALUES ({{row}}.id);")
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS {CHANGES_TABLE}_ai AFTER INSERT ON companies "
    f"BEGIN {_SQLITE_NOTE.format(row='new')} END",
    f"CREATE TRIGGER IF NOT EXISTS {CHANGES_TABLE}_ad AFTER DELETE ON companies "
    f"BEGIN {_SQLITE_NOTE.format(row='old')} END",
    f"CREATE TRIGGER IF NOT EXISTS {CHANGES_TABLE}_au AFTER UPDATE OF "
    f"{', '.join(WATCHED_COLUMNS)} ON companies WHEN {_differs('old', 'new', 'IS NOT')} "
    f"BEGIN {_SQLITE_NOTE.format(row='new')} END",
)
POSTGRESQL_TRIGGERS = (
    f"CREATE OR REPLACE FUNCTION {CHANGES_TABLE}_note() RETURNS trigger "  # nosec B608
    f"LANGUAGE plpgsql AS $$ BEGIN "
    f"INSERT INTO {CHANGES_TABLE} (company_id) "
    f"VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END) "
    f"ON CONFLICT (company_id) DO UPDATE SET seq = EXCLUDED.seq; "
    f"RETURN NULL; END $$",
    f"CREATE OR REPLACE TRIGGER {CHANGES_TABLE}_aid AFTER INSERT OR DELETE ON companies "
    f"FOR EACH ROW EXECUTE FUNCTION {CHANGES_TABLE}_note()",
    f"CREATE OR REPLACE TRIGGER {CHANGES_TABLE}_au AFTER UPDATE OF {', '.join(WATCHED_COLUMNS)} "
    f"ON companies FOR EACH ROW WHEN ({_differs('OLD', 'NEW', 'IS DISTINCT FROM')}) "
    f"EXECUTE FUNCTION {CHANGES_TABLE}_note()",
)
TRIGGER_NAMES = {"sqlite": [f"{CHANGES_TABLE}_ai", f"{CHANGES_TABLE}_ad", f"{CHANGES_TABLE}_au"],
                 "postgresql": [f"{CHANGES_TABLE}_aid", f"{CHANGES_TABLE}_au"]}

for _statement in SQLITE_TRIGGERS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_TRIGGERS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
