"""A page of a search sorted by name (the list's default order, the pickers, the merge search)
holds the first matches of all, whichever try answers it: the probe down the name index, the
few matches, or every match; a search's count stops at its cap and says so. Both databases."""
import re

import pytest
from sqlalchemy import select, text

from admin_app.extensions import db
from admin_app.models import Company
from admin_app.services import search
from admin_app.services.search import search_clause, search_companies

# Early and many (the probe answers), late and many (every match is read), a few, none, early
# but one short of a page ("mixed"); two companies share a name, so only the id orders them.
NAMES = ([f"Aaa Mixed {i:02d}" for i in range(4)] + ["Yak Mixed 04"]
         + [f"Aardvark Foods {i:02d}" for i in range(12)]
         + [f"Filler Company {i:02d}" for i in range(10)]
         + ["Lone Wolf", "Penumbra Works", "Penumbra Works"]
         + [f"Zephyr Umbra {i:02d}" for i in range(8)])
TERMS = ["aardvark", "umbra", "lone", "zzzz", "fo", "um", "works", "foods 0", "mixed"]
PAGES = [(0, 1), (0, 5), (3, 5), (10, 5), (0, 40)]


@pytest.fixture
def other_tries(monkeypatch):
    """The thresholds scaled to a test's few dozen rows, so that each try answers some term,
    and no word answered from the word index (a word in more stored words than
    MAX_STORED_WORDS, here 0, takes the other tries)."""
    monkeypatch.setattr(search, "PROBE_ROWS_PER_RESULT", 2)
    monkeypatch.setattr(search, "FEW_MATCHES", 3)
    monkeypatch.setattr(search, "MAX_STORED_WORDS", 0)


@pytest.fixture(params=["word index", "other tries"])
def small_tries(request):
    """Each term once through the word index (one-word terms), once through the other tries."""
    if request.param == "other tries":
        request.getfixturevalue("other_tries")


@pytest.fixture
def companies(make_company):
    return [make_company(name=name) for name in NAMES]


def _every_match(term: str, exclude_id: int | None = None) -> list[int]:
    query = select(Company.id).where(search_clause(term), Company.merged_into_id.is_(None))
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    return list(db.session.scalars(query.order_by(Company.name, Company.id)))


@pytest.mark.parametrize("offset, limit", PAGES)
@pytest.mark.parametrize("term", TERMS)
def test_a_page_by_name_holds_the_first_of_every_match(small_tries, companies, term, offset,
                                                        limit):
    found = [c.id for c in search_companies(term, offset=offset, limit=limit)]
    assert found == _every_match(term)[offset:offset + limit]


@pytest.mark.parametrize("term", TERMS)
def test_a_page_by_name_leaves_out_the_excluded_company(small_tries, companies, term):
    matches = _every_match(term)
    if not matches:
        pytest.skip("nothing to exclude")
    excluded = matches[0]
    found = [c.id for c in search_companies(term, exclude_id=excluded, limit=5)]
    assert found == _every_match(term, exclude_id=excluded)[:5]


def test_a_merged_away_company_is_never_on_a_page(small_tries, companies):
    absorbed = companies[0]
    absorbed.merged_into_id = companies[1].id
    db.session.commit()
    assert absorbed.id not in [c.id for c in search_companies("aardvark", limit=5)]


def _list(view, app, search_text: str, page: int = 0, sort_column=None, filters=()):
    with app.test_request_context():
        _count, rows = view.get_list(page, sort_column, False, search_text, list(filters),
                                     page_size=25)
    return [row.id for row in rows]


def test_pages_of_a_search_list_each_company_once_in_name_then_id_order(
        app, company_view, make_company, small_tries):
    same = [make_company(name="Same Name").id for _ in range(30)]
    make_company(name="Other Co")
    pages = _list(company_view, app, "same") + _list(company_view, app, "same", page=1)
    assert pages == same  # one name: the id orders them, and the two pages meet exactly


def test_a_search_in_the_default_order_asks_for_its_page_only(
        admin_client, companies, company_view, count_queries, is_postgres, monkeypatch):
    monkeypatch.setattr(company_view, "page_size", 1)  # a full page: the count must run
    admin_client.get("/admin/company/?search=penumbra+works")
    with count_queries() as statements:
        assert admin_client.get("/admin/company/?search=penumbra+works").status_code == 200
    page = [s for s in statements if "ORDER BY companies.name, companies.id" in s]
    assert page and "search_window" in page[0]
    counts = [s for s in statements if "count(" in s.lower() and "search_window" not in s]
    assert counts and "LIMIT" in counts[0].upper()
    if is_postgres:  # planned for every match, read lazily up to the cap
        assert "MATERIALIZED" in counts[0]


def test_a_one_word_search_asks_the_word_index_for_its_page_and_its_count(
        admin_client, companies, company_view, count_queries, monkeypatch):
    monkeypatch.setattr(company_view, "page_size", 1)
    with count_queries() as statements:  # "aardvark": in one stored word ("umbra": two)
        assert admin_client.get("/admin/company/?search=aardvark").status_code == 200
    page = [s for s in statements if "ORDER BY companies.name, companies.id" in s]
    assert page and "company_words" in page[0] and "search_window" not in page[0]
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "company_words" in counts[0]
    # The stored words holding the word are read once for the page and its count.
    assert len([s for s in statements if "search_tokens" in s]) == 1


def test_a_search_sorted_otherwise_reads_every_match(app, company_view, companies,
                                                    count_queries):
    with count_queries() as statements:
        by_email = _list(company_view, app, "umbra", sort_column="email")
    assert sorted(by_email) == sorted(_every_match("umbra"))
    assert not any("search_window" in s for s in statements)


def test_a_filtered_search_reads_every_match(admin_client, make_company, count_queries):
    make_company("Filtered Lead", status="lead")
    client = make_company("Filtered Client", status="client")
    with count_queries() as statements:
        html = admin_client.get("/admin/company/?search=filtered&flt0_status_equals=client"
                                ).get_data(as_text=True)
    assert client.name in html and "Filtered Lead" not in html
    assert not any("search_window" in s for s in statements)


def test_a_search_count_stops_at_the_search_cap_and_says_so(
        admin_client, company_view, make_company, monkeypatch):
    for i in range(5):
        make_company(f"Capped Search {i}")
    monkeypatch.setattr(company_view, "search_count_cap", 3)
    monkeypatch.setattr(company_view, "page_size", 2)  # a full page: the count must run
    html = admin_client.get("/admin/company/?search=capped").get_data(as_text=True)
    assert "3+" in html and "data-count-capped" in html
    plain = admin_client.get("/admin/company/").get_data(as_text=True)
    assert "data-count-capped" not in plain  # five companies: counted exactly


def test_a_search_count_under_the_cap_is_exact(admin_client, company_view, make_company,
                                               monkeypatch):
    for i in range(3):
        make_company(f"Capped Search {i}")
    monkeypatch.setattr(company_view, "search_count_cap", 3)
    html = admin_client.get("/admin/company/?search=capped").get_data(as_text=True)
    assert "data-count-capped" not in html and "3+" not in html


def test_postgres_an_early_word_never_gathers_every_match(other_tries, companies, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL's InitPlans; SQLite's guards are checked by the page tests")
    statement = (select(Company.id).where(search.first_matches_clause("aardvark", 5))
                 .order_by(Company.name, Company.id).limit(5))
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(row[0] for row in db.session.execute(
        text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)))
    # Two scans of the matches' CTE: the few (runs), the gather (must not run).
    scans = re.findall(r"CTE Scan on search_hits.*", plan)
    assert len(scans) == 2 and "never executed" not in scans[0]
    assert "never executed" in scans[1]
