"""The search's word index (models/search_words.py): kept by triggers on both databases, and a
one-word search answered from it gives the page the other reads give."""
import random

import pytest
from sqlalchemy import func, select, text

from admin_app.extensions import db
from admin_app.models import Company, CompanyWord, Merge, SearchToken
from admin_app.models.companies import SEARCHED_COLUMNS, live_condition
from admin_app.models.search_words import company_words
from admin_app.services import search
from admin_app.services.merge import merge_companies, undo_merge

HOSTILE = [
    {"name": "Umbra\tTextiles S.L.", "email": "INFO@Umbra-Tex.example",
     "website": "https://www.umbra.example/a_b?c=d", "phone": "+34 (91) 000-111"},
    {"name": "  École   Lumière  ", "legal_id": "B-1234'5\"6", "email": None},
    {"name": "Back\\slash [Labs] {x} <y> |z| ~w^ `q` !e? #h $d &s *p =u", "website": ""},
    {"name": "50% Off", "phone": "x\x01y"},
]


def _stored(company_id: int) -> dict[str, bool]:
    return {row.token: bool(row.word_start) for row in db.session.scalars(
        select(CompanyWord).where(CompanyWord.company_id == company_id))}


def _expected(company: Company) -> dict[str, bool]:
    values = [getattr(company, column) for column in SEARCHED_COLUMNS]
    if db.engine.dialect.name == "postgresql":
        return company_words(values, lower=str.lower)  # PostgreSQL's lower() folds Unicode
    return company_words(values)


@pytest.mark.parametrize("fields", HOSTILE, ids=range(len(HOSTILE)))
def test_the_database_cuts_a_companys_values_into_the_words_python_would(make_company, fields):
    company = make_company(**fields)
    assert _stored(company.id) == _expected(company)
    assert _stored(company.id)  # not vacuously equal
    tokens = set(db.session.scalars(select(SearchToken.token)))
    assert set(_stored(company.id)) <= tokens


def test_a_word_starts_at_a_value_or_after_a_space_only(make_company):
    company = make_company(name="Umbra tex", email="umbra@tex.example")
    assert _stored(company.id) == {"umbra": True, "tex": True, "example": False}
    company = make_company(name="Nova", email="x@nova.example", website="nova-labs")
    assert _stored(company.id) == {"nova": True, "x": True, "example": False, "labs": False}


def test_the_words_follow_edits_deletes_merges_and_their_undo(make_company, admin_user):
    kept = make_company(name="Umbra Textiles", email="ops@umbra.example")
    absorbed = make_company(name="Lumen Labs", phone="600 123")
    kept.name = "Penumbra Weaving"
    db.session.commit()
    assert _stored(kept.id) == {"penumbra": True, "weaving": True, "ops": True, "umbra": False,
                                "example": False}
    assert set(db.session.scalars(select(CompanyWord.name)
                                  .where(CompanyWord.company_id == kept.id))) == {kept.name}
    db.session.execute(text("UPDATE companies SET phone = '700' WHERE id = :id"),
                       {"id": absorbed.id})  # plain SQL: the trigger, not the ORM, keeps up
    db.session.commit()
    assert _stored(absorbed.id) == {"lumen": True, "labs": True, "700": True}

    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert _stored(absorbed.id) == {}
    assert "700" in _stored(kept.id)  # the kept company took the absorbed one's phone
    assert [c.name for c in search.search_companies("lumen")] == []

    undo_merge(db.session.scalars(select(Merge)).one(), admin_user)
    db.session.commit()
    assert _stored(absorbed.id) == {"lumen": True, "labs": True, "700": True}
    assert [c.name for c in search.search_companies("lumen")] == ["Lumen Labs"]

    gone = make_company(name="Gone Soon")
    assert _stored(gone.id) == {"gone": True, "soon": True}
    db.session.delete(gone)
    db.session.commit()
    assert _stored(gone.id) == {}
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO companies_search_tokens(companies_search_tokens, "
                                "rank) VALUES ('integrity-check', 1)"))


WORDS = ["umbra", "penumbra", "umbrella", "acme", "lumen", "atlas", "nova", "umami", "orbit"]


@pytest.fixture
def crowd(make_company):
    """300 companies: words shared by many, names that tie, numbers with many stored words."""
    rng = random.Random(5)
    for i in range(300):
        name = " ".join(rng.sample(WORDS, 2)).title() + f" {rng.randrange(200)}"
        if i % 7 == 0:
            name = "Umbra Twin"  # ties on the name: the id decides
        make_company(name=name, commit=False,
                     email=f"{rng.choice(WORDS)}.{i}@{rng.choice(WORDS)}.example",
                     website=rng.choice([None, f"https://{rng.choice(WORDS)}-{i}.example"]),
                     merged_into_id=None)
    db.session.commit()
    absorbed = db.session.scalars(select(Company).order_by(Company.id).limit(3)).all()
    keep = db.session.scalars(select(Company).order_by(Company.id.desc())).first()
    for company in absorbed:  # tombstones hold no words and are never shown
        company.merged_into_id = keep.id
    db.session.commit()
    return keep


def _reference(word: str, limit: int, exclude_id: int | None) -> list[int]:
    """The page as the reads without the word index give it."""
    query = (select(Company.id).where(live_condition(Company.merged_into_id,
                                                     db.engine.dialect.name),
                                      search.search_clause(word)))
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    return list(db.session.scalars(query.order_by(Company.name, Company.id).limit(limit)))


@pytest.mark.parametrize("word", ["umbra", "UMBRA", "mbr", "um", "u", "nova", "twin", "1", "12",
                                  "example", "zzz", "ac", "50%", "penumbra", "umami7"])
def test_a_one_word_search_through_the_word_index_gives_the_same_page(crowd, word):
    for limit, exclude in ((10, None), (25, None), (3, crowd.id), (101, None)):
        got = [c.id for c in search.search_companies(word, limit=limit, exclude_id=exclude)]
        assert got == _reference(word, limit, exclude), (limit, exclude)


@pytest.mark.parametrize("words", ["umbra twin", "Twin UMBRA", "acme nova", "nova 12", "um tw",
                                   "umbra zzz", "zzz umbra", "penumbra lumen", "twin twin",
                                   "umbr example", "twin é", "atlas a", "a b"])
def test_a_search_of_several_words_gives_the_same_page_beside_the_word_index(crowd, words):
    # Several words take the other reads (the probe, the few, every match). A read guided by
    # one word's index entries was tried and dropped: the usual specific pair is answered at
    # once by its few matches, and the guided read added statements before falling back.
    for limit, exclude in ((10, None), (25, None), (3, crowd.id)):
        got = [c.id for c in search.search_companies(words, limit=limit, exclude_id=exclude)]
        assert got == _reference(words, limit, exclude), (limit, exclude)


def test_a_word_in_too_many_stored_words_is_answered_without_the_word_index(crowd, monkeypatch):
    monkeypatch.setattr(search, "MAX_STORED_WORDS", 2)
    # "umbra" is in "umbra", "penumbra", "umbrella" and many emails: over the cap of 2.
    assert [c.id for c in search.search_companies("umbra")] == _reference("umbra", 20, None)
    assert [c.id for c in search.search_companies("mbr", limit=7)] == _reference("mbr", 7, None)


def _plan(statement) -> str:
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            return "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + sql)))
    return "\n".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))


@pytest.mark.parametrize("word, index", [("twin", "ix_company_words_token_name"),  # one word
                                         ("umbr", "ix_company_words_token_name"),  # several
                                         ("um", "ix_company_words_start")])
def test_a_one_word_search_reads_each_stored_words_companies_from_its_index(
        crowd, analyze, word, index):
    analyze()
    plan = _plan(select(Company.id).where(search.first_matches_clause(word, 25))
                 .order_by(Company.name, Company.id).limit(25))
    assert index in plan
    # In index order, stopping at the page's end: not every row of the word, then a sort.
    assert f"Bitmap Index Scan on {index}" not in plan
    assert "companies_search" not in plan and "search_text" not in plan  # no other read


def test_the_migration_fills_the_word_index_from_existing_companies(database_at_revision):
    from flask_migrate import downgrade, upgrade
    database_at_revision("0022", on_test_server=True)
    for id_, name, merged in ((1, "Umbra Textiles", None), (2, "Lumen Labs", None),
                              (3, "Umbra Old", 1)):
        db.session.execute(text(
            "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
            "legal_id_key, legal_id_check, merged_into_id, created_at, updated_at) VALUES "
            "(:id, :name, 'lead', '', '', '', '', '', :merged, '2026-01-01', '2026-01-01')"),
            {"id": id_, "name": name, "merged": merged})
    db.session.commit()

    upgrade()

    assert set(db.session.execute(select(CompanyWord.company_id, CompanyWord.token))) == {
        (1, "umbra"), (1, "textiles"), (2, "lumen"), (2, "labs")}
    assert [c.name for c in search.search_companies("umbr")] == ["Umbra Textiles"]
    assert [c.name for c in search.search_companies("la")] == ["Lumen Labs"]
    db.session.rollback()  # the migration's connection waits for no lock of this one
    downgrade(revision="0022")
    upgrade()
    assert [c.name for c in search.search_companies("text")] == ["Umbra Textiles"]


@pytest.mark.parametrize("word", ["umbra", "twin", "um", "zzz", "1", "umbr", "nova"])
def test_the_list_counts_a_one_word_search_as_many_companies_as_match(
        app, company_view, crowd, word):
    expected = len(_reference(word, 10_000, None))
    with app.test_request_context():
        count, rows = company_view.get_list(0, None, False, word, [], page_size=5)
        # A filter the word index knows nothing of: the companies are counted again.
        leads, _ = company_view.get_list(0, None, False, word, [(0, "status", "lead")],
                                         page_size=5)
    assert count == expected
    assert leads == db.session.scalar(select(func.count()).select_from(
        select(Company.id).where(Company.id.in_(_reference(word, 10_000, None)),
                                 Company.status == "lead").subquery()))


def test_a_one_word_searchs_count_reads_the_word_index_up_to_the_cap(
        app, company_view, crowd, capture_statements, monkeypatch):
    monkeypatch.setattr(company_view, "search_count_cap", 7)
    with app.test_request_context(), capture_statements() as statements:
        count, _rows = company_view.get_list(0, None, False, "twin", [], page_size=5)
    assert (count, count.cap) == (8, 7)  # "7+": 43 companies are called Umbra Twin
    counts = [s for s, _params in statements if "count(" in s]
    assert len(counts) == 1 and "company_words" in counts[0] and "companies" not in counts[0]


def test_pruning_removes_the_stored_words_no_company_holds_any_more(app, make_company):
    kept = make_company(name="Umbra Textiles", email="ops@umbra.example")
    renamed = make_company(name="Zorblax Labs")
    gone = make_company(name="Quuxcorp Holdings")
    renamed.name = "Plain Labs"
    db.session.delete(gone)
    db.session.commit()
    assert {"zorblax", "quuxcorp", "holdings"} <= set(db.session.scalars(select(SearchToken.token)))

    result = app.test_cli_runner().invoke(args=["prune-search-words"])

    assert result.exit_code == 0 and "Removed 3 stored words" in result.output
    db.session.expire_all()
    assert set(db.session.scalars(select(SearchToken.token))) == set(
        db.session.scalars(select(CompanyWord.token)))
    assert [c.id for c in search.search_companies("umbr")] == [kept.id]
    assert search.search_companies("zorbl") == []
    if db.engine.dialect.name == "sqlite":  # the FTS table followed the deletes
        db.session.execute(text("INSERT INTO companies_search_tokens(companies_search_tokens, "
                                "rank) VALUES ('integrity-check', 1)"))
