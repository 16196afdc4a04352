"""One company search with one meaning on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm)."""
import re

import pytest
from sqlalchemy import select, text

from admin_app.extensions import db
from admin_app.models import Company
from admin_app.models.companies import SEARCH_TEXT_INDEX
from admin_app.services.merge import merge_companies
from admin_app.services.search import search_clause, search_companies

ROWS = [
    ("Acme Logistics", {"email": "ops@acme.example", "phone": "+34 911 000 111"}),
    ("Umbra Textiles", {"website": "https://umbra.example", "legal_id": "B12345678"}),
    ("École Lumière", {"email": "contact@lycee.example"}),
    ("50% Discount Store", {"phone": "600 123 456"}),
    ("Under_score Labs", {"email": "hi@under.example"}),
    ("Underscore Works", {}),
    ("Back\\slash Ltd", {}),
    ("AB Holdings", {"legal_id": "X9999"}),
    ("Nabla Design", {}),
    ("0% Finance", {}),
    ("0X Labs", {}),
]

# term -> names expected, identical on both databases (this file runs on both).
EXPECTED = {
    "umbra": {"Umbra Textiles"},
    "UMBRA": {"Umbra Textiles"},
    "acme logistics": {"Acme Logistics"},
    "acme store": set(),
    "ab": {"AB Holdings"},  # short: the start of a word, not inside "Nabla"
    "ho": {"AB Holdings"},  # the start of a later word
    "logistics ac": {"Acme Logistics"},
    "a": {"Acme Logistics", "AB Holdings"},
    "éC": {"École Lumière"},  # short and not ASCII: still case-insensitive
    "50%": {"50% Discount Store"},
    "%": set(),  # short, literal: no value starts with "%"
    "0% d": set(),  # "d" is short: it must begin a value, and none begins with "d"
    "store 50": {"50% Discount Store"},
    "r_s": {"Under_score Labs"},
    "_": set(),
    "der_": {"Under_score Labs"},
    "k\\s": {"Back\\slash Ltd"},
    "école": {"École Lumière"},
    "ÉCOLE": {"École Lumière"},
    "lumière": {"École Lumière"},
    "lumiere": set(),  # accents are not folded, on either database
    "911 000": {"Acme Logistics"},
    "B1234": {"Umbra Textiles"},
    "umbra.example": {"Umbra Textiles"},
    "zzzz": set(),
    '"quoted"': set(),
    "ops@acme": {"Acme Logistics"},
    # Short words through the index (PostgreSQL's trigrams, SQLite's FTS table): still literal.
    "0%": {"0% Finance"},  # a word starting with "0%": not "0X Labs", not "50%" inside a word
    "0x": {"0X Labs"},
    "_s": set(),  # "_" is no wildcard: no word starts with "_s"
    "la": {"0X Labs", "Under_score Labs"},
}


@pytest.fixture
def companies(make_company):
    return {name: make_company(name=name, **fields) for name, fields in ROWS}


def _names(search: str) -> set[str]:
    return set(db.session.scalars(select(Company.name).where(search_clause(search))))


@pytest.mark.parametrize("term", sorted(EXPECTED))
def test_search_finds_the_same_companies_on_every_database(companies, term):
    assert _names(term) == EXPECTED[term]


def test_an_empty_search_matches_everything(companies):
    assert _names("   ") == set(companies)


def test_search_keeps_up_with_inserts_updates_deletes_and_merges(companies):
    company = companies["Umbra Textiles"]
    company.name = "Penumbra Weaving"
    db.session.commit()
    assert _names("umbra") == {"Penumbra Weaving"}
    assert _names("textiles") == set()

    company.website = None
    company.email = "hello@weave.example"
    db.session.commit()
    assert _names("weave.example") == {"Penumbra Weaving"}

    db.session.delete(companies["Nabla Design"])
    db.session.commit()
    assert _names("nabla") == set()

    kept, absorbed = companies["Underscore Works"], companies["Under_score Labs"]
    merge_companies(kept, absorbed, None)
    db.session.commit()
    assert [c.name for c in search_companies("under")] == ["Underscore Works"]
    # The kept company took the absorbed one's email, which it had not: both rows were reindexed.
    assert _names("hi@under") == {"Under_score Labs", "Underscore Works"}
    if db.engine.dialect.name == "sqlite":
        # The triggers removed exactly what they had indexed: the index matches its content view.
        db.session.execute(text("INSERT INTO companies_search(companies_search, rank) "
                                "VALUES ('integrity-check', 1)"))


def test_search_companies_pages_by_name_and_excludes(companies):
    assert [c.name for c in search_companies("under", limit=1)] == ["Under_score Labs"]
    assert [c.name for c in search_companies("under", offset=1)] == ["Underscore Works"]
    everyone = search_companies("", limit=100)
    assert [c.name for c in everyone] == sorted(c.name for c in everyone)
    keep = companies["Acme Logistics"]
    assert keep not in search_companies("acme", exclude_id=keep.id)


@pytest.mark.parametrize("term", ["umbra", "um"])
def test_sqlite_search_reads_the_fts_table(companies, is_postgres, term):
    if is_postgres:
        pytest.skip("SQLite's FTS5 table")
    sql = str(select(Company.id).where(search_clause(term))
              .compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "companies_search VIRTUAL TABLE INDEX" in plan
    indexed = db.session.execute(text("SELECT count(*) FROM companies_search")).scalar()
    assert indexed == len(companies)


@pytest.mark.parametrize("term", ["umbra", "um"])
def test_postgres_search_uses_the_trigram_index_for_a_late_word(companies, is_postgres, term):
    if not is_postgres:
        pytest.skip("PostgreSQL's trigram index")
    statement = (select(Company.id).where(Company.merged_into_id.is_(None), search_clause(term))
                 .order_by(Company.name).limit(20))
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.begin() as conn:
        # A handful of rows make a sequential scan cheapest; off, the plan shows what it can use.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql)))
    assert f"Bitmap Index Scan on {SEARCH_TEXT_INDEX}" in plan
    assert "ix_companies_name" not in plan


@pytest.mark.parametrize("term", ["umbra", "um", "umbra 07"])
def test_postgres_search_keeps_its_index_in_a_prepared_statements_generic_plan(
        companies, is_postgres, term):
    # psycopg prepares a statement run five times, and PostgreSQL may then plan it once for every
    # pattern: the index must match the query's text, with the patterns as parameters.
    if not is_postgres:
        pytest.skip("PostgreSQL's trigram index")
    compiled = select(Company.id).where(search_clause(term)).compile(db.engine)
    names = list(compiled.params)
    sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    values = ", ".join("'" + str(compiled.params[name]).replace("'", "''").replace("%", "%%") + "'"
                       for name in names)  # %% : the driver's placeholder sign, doubled
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.exec_driver_sql(f"PREPARE search_plan AS {sql}")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(
            f"EXPLAIN EXECUTE search_plan({values})"))
        conn.exec_driver_sql("DEALLOCATE search_plan")
    assert "$1" in plan  # a generic plan indeed
    assert f"Bitmap Index Scan on {SEARCH_TEXT_INDEX}" in plan


@pytest.mark.parametrize("term", ['"', '""x"', "***", "NEAR(a b)", "a OR b", "x\x00yz", "é" * 300,
                                  "-acme", "^acme", "=acme", "acme*"])
def test_hostile_searches_answer_the_list_without_an_error(admin_client, companies, term):
    response = admin_client.get("/admin/company/", query_string={"search": term})
    assert response.status_code == 200
    lookup = admin_client.get("/admin/invoice/ajax/lookup/",
                              query_string={"name": "company", "query": term})
    assert lookup.status_code == 200


def test_sqlite_connections_read_the_file_through_a_memory_map(app, is_postgres):
    # The page cache a search's matched rows are read from is the operating system's, shared by
    # every connection and worker, not each connection's own 2 MB (admin_app._sqlite_pragmas).
    if is_postgres:
        pytest.skip("SQLite's connection settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() > 0
