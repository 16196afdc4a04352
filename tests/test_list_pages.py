"""A company list page past the first reads its ids first (from ix_companies_live_name in the
default order), then its rows: the same rows, in the same order, as OFFSET on the full query,
merge tombstones left out, on both databases."""
import pytest
from sqlalchemy import select, text

from admin_app.admin.links import company_url
from admin_app.extensions import db
from admin_app.models import Company

PAGE = 4


@pytest.fixture
def companies(make_company, make_user):
    managers = [make_user(full_name=name) for name in ("Zoe Last", "Adam First", "Mia Middle")]
    made = []
    for i in range(23):
        # Names repeat, so the id must break ties; emails sort in another order than names.
        made.append(make_company(name=f"Company {i % 7}", status="client" if i % 3 else "lead",
                                 email=f"{(i * 5) % 23:02d}@example.com",
                                 account_manager_id=managers[i % 3].id))
    for absorbed in made[2:6]:  # tombstones: on no page, whatever the order
        absorbed.merged_into_id = made[0].id
    db.session.commit()
    return made


def _page(view, app, page: int, sort_column=None, sort_desc=False, filters=(), search=None):
    with app.test_request_context():
        _count, rows = view.get_list(page, sort_column, sort_desc, search, list(filters),
                                     page_size=PAGE)
    return [row.id for row in rows]


def _all_pages(view, app, **kwargs) -> list[int]:
    ids, page = [], 0
    while rows := _page(view, app, page, **kwargs):
        ids += rows
        page += 1
    return ids


def _live(*conditions):
    return select(Company.id).where(Company.merged_into_id.is_(None), *conditions)


def test_pages_in_the_default_order_meet_exactly_and_leave_out_tombstones(app, company_view,
                                                                          companies):
    expected = list(db.session.scalars(_live().order_by(Company.name, Company.id)))
    assert len(expected) == 19
    assert _all_pages(company_view, app) == expected


@pytest.mark.parametrize("descending", [False, True])
def test_pages_sorted_by_another_column_hold_what_offset_would(app, company_view, companies,
                                                               descending):
    column = Company.email.desc() if descending else Company.email
    expected = list(db.session.scalars(_live().order_by(column)))
    assert _all_pages(company_view, app, sort_column="email", sort_desc=descending) == expected


def test_pages_sorted_by_the_account_manager_keep_the_join_in_both_steps(app, company_view,
                                                                         companies):
    pages = _all_pages(company_view, app, sort_column="account_manager")
    live = list(db.session.scalars(_live()))
    assert sorted(pages) == sorted(live)  # each company once, across the pages
    managers = [db.session.get(Company, i).account_manager.full_name for i in pages]
    assert managers == sorted(managers)


def test_filtered_pages_hold_the_filtered_rows_only(app, company_view, companies):
    status = next(i for i, f in enumerate(company_view._filters)
                  if f.column.key == "status")
    expected = list(db.session.scalars(
        _live(Company.status == "client").order_by(Company.name, Company.id)))
    assert _all_pages(company_view, app, filters=[(status, "status", "client")]) == expected


def test_a_deep_page_costs_the_statements_of_the_first(app, admin_client, companies, company_view,
                                                       count_queries, monkeypatch):
    monkeypatch.setattr(company_view, "page_size", PAGE)
    admin_client.get("/admin/company/")
    with count_queries() as first:
        admin_client.get("/admin/company/")
    with count_queries() as deep:
        html = admin_client.get("/admin/company/?page=3").get_data(as_text=True)
    assert len(deep) == len(first)
    assert any("page_ids" in statement for statement in deep)
    expected = list(db.session.scalars(_live().order_by(Company.name, Company.id)
                                       .offset(3 * PAGE).limit(PAGE)))
    with app.test_request_context():
        assert all(company_url(i) in html for i in expected)


def test_a_search_page_keeps_its_own_bounded_read(admin_client, companies, company_view,
                                                  count_queries, monkeypatch):
    monkeypatch.setattr(company_view, "page_size", PAGE)
    with count_queries() as statements:
        assert admin_client.get("/admin/company/?search=company&page=1").status_code == 200
    # The search clause runs once: reading the ids first would run it a second time.
    assert not any("page_ids" in statement for statement in statements)


def test_a_deep_page_reads_its_ids_from_the_live_name_index(app, company_view, companies,
                                                            is_postgres):
    with app.test_request_context():
        _count, query = company_view.get_list(3, None, False, None, [], execute=False,
                                              page_size=PAGE)
    sql = str(query.statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if is_postgres:
        # A few rows make a scan and a sort cheapest; what matters is that the index's condition
        # matches the query's, so that the planner can use it once the table is big.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        db.session.execute(text("SET LOCAL enable_sort = off"))
        db.session.execute(text("SET LOCAL enable_incremental_sort = off"))
        plan = "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
    else:
        plan = "\n".join(row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    db.session.rollback()
    assert "ix_companies_live_name" in plan, plan
