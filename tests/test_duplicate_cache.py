"""The possible-duplicates page caches its scan in Redis and notices every change at once."""
import logging
import random
from datetime import datetime

import pytest
from sqlalchemy import text, update

from admin_app.extensions import db
from admin_app.models import Company
from admin_app.services import duplicate_cache
from admin_app.services.duplicate_cache import age_text, cached_scan, duration_text
from admin_app.services.duplicates import scan
from admin_app.services.merge import merge_companies
from admin_app.services.redis_store import app_key, redis_client
from tests.db_faults import collision_at

PAGE = "/admin/duplicates/"
# The scan's own query: every live company's keys (the company list selects other columns).
SCAN_MARK = "companies.name_key, companies.legal_id_key"


def _scanned(statements) -> bool:
    return any(SCAN_MARK in s for s in statements)


@pytest.fixture
def pairs(make_company):
    a = make_company("Kestrel Media", email="info@kestrel.example")
    b = make_company("Kestrel Media SL", email="sales@kestrel.example")
    c = make_company("Nordic Foods", phone="612 345 678")
    d = make_company("Nordic Food SA", phone="+34 612 345 678")
    return a, b, c, d


def _load(client, count_queries, url=PAGE):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_second_load_reuses_the_scan_with_a_small_constant_number_of_statements(
        admin_client, pairs, make_company, count_queries):
    first, cold = _load(admin_client, count_queries)
    assert _scanned(cold) and 'data-scan-freshness="fresh"' in first
    second, warm = _load(admin_client, count_queries)
    assert not _scanned(warm) and 'data-scan-freshness="cached"' in second
    # The logged-in user (with its session), the settings (is two-factor login mandatory for
    # this admin?) and one statement for the data version: nothing grows with companies.
    assert len(warm) <= 3, warm
    assert f'data-pair="{pairs[0].id}-{pairs[1].id}"' in second
    assert "Scan from" in second and "just now" in second


def test_paging_and_the_minimum_score_reuse_the_cached_pairs(admin_client, make_company,
                                                             count_queries):
    for i in range(60):  # 60 pairs of twins: two pages of 50
        make_company(f"Zentrix{i:02d} Labs", commit=False)
        make_company(f"Zentrix{i:02d} Labs SL", commit=False)
    db.session.commit()
    _load(admin_client, count_queries)
    page2, statements = _load(admin_client, count_queries, PAGE + "?page=2&min_score=80")
    assert not _scanned(statements) and page2.count("data-pair=") == 10
    everything, statements = _load(admin_client, count_queries, PAGE + "?min_score=0")
    assert not _scanned(statements) and everything.count("data-pair=") == 50
    strict, statements = _load(admin_client, count_queries, PAGE + "?min_score=100")
    assert not _scanned(statements) and strict.count("data-pair=") == 50


def test_the_cached_scan_equals_a_fresh_scan_for_every_minimum_score(pairs, make_company):
    make_company("Kestrel Media SA", phone="612345678")  # a group of three or more
    cached_scan()
    cached = cached_scan()
    assert cached.from_cache
    for min_score in (0, 75, 80, 90, 100):
        fresh, narrowed = scan(min_score), cached.result(min_score)
        assert narrowed.pairs == fresh.pairs, min_score
        assert narrowed.groups == fresh.groups and narrowed.companies == fresh.companies
        last = cached.page(min_score, page=99, page_size=2, group_limit=1)  # past the end
        assert last.pages == max(1, -(-len(fresh.pairs) // 2)) and last.page == last.pages
        assert last.pairs == fresh.pairs[(last.page - 1) * 2: last.page * 2]
        assert last.groups == fresh.groups[:1] and last.group_count == len(fresh.groups)
        assert last.pair_count == len(fresh.pairs)


def test_an_ignored_pair_disappears_at_once_without_a_rescan(admin_client, pairs, count_queries):
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    admin_client.post(PAGE + "ignore/", data={"low": b.id, "high": a.id})
    page, statements = _load(admin_client, count_queries)
    assert f'data-pair="{a.id}-{b.id}"' not in page and f'data-pair="{c.id}-{d.id}"' in page
    assert not _scanned(statements)  # the cached entry was patched, not thrown away
    assert cached_scan().result().pairs == scan().pairs


def test_an_ignore_after_an_edit_patches_both_into_the_scan(admin_client, pairs, count_queries):
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    c.name = "Something Else Entirely"
    db.session.commit()
    admin_client.post(PAGE + "ignore/", data={"low": a.id, "high": b.id})
    page, statements = _load(admin_client, count_queries, PAGE + "?min_score=0")
    assert not _scanned(statements) and f'data-pair="{c.id}-{d.id}"' in page  # a shared phone
    assert f'data-pair="{a.id}-{b.id}"' not in page
    assert cached_scan().result().pairs == scan().pairs


def test_an_ignore_alongside_a_merge_rescans(admin_client, admin_user, pairs, make_company,
                                             count_queries):
    a, b, c, d = pairs
    e = make_company("Kestrel Media SA", email="x@kestrel.example")
    _load(admin_client, count_queries)
    merge_companies(e, d, admin_user)
    db.session.commit()
    admin_client.post(PAGE + "ignore/", data={"low": a.id, "high": b.id})
    page, statements = _load(admin_client, count_queries, PAGE + "?min_score=0")
    assert _scanned(statements) and f'data-pair="{a.id}-{b.id}"' not in page


def test_a_merge_is_reflected_at_once(admin_client, admin_user, pairs, count_queries):
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    merge_companies(c, d, admin_user)
    db.session.commit()
    page, statements = _load(admin_client, count_queries)
    assert _scanned(statements) and f'data-pair="{c.id}-{d.id}"' not in page
    assert f'data-pair="{a.id}-{b.id}"' in page


def test_a_group_merge_from_the_page_is_reflected_at_once(admin_client, pairs, make_company,
                                                          count_queries):
    a, b = pairs[:2]
    e = make_company("KESTREL MEDIA SA")
    _load(admin_client, count_queries)
    admin_client.post(PAGE + "merge-group/", data={"kept": a.id, "member": [a.id, b.id, e.id]})
    page, statements = _load(admin_client, count_queries)
    assert _scanned(statements) and 'data-section="duplicate-groups"' not in page
    assert f'data-pair="{a.id}-{b.id}"' not in page


def test_editing_a_company_in_the_form_is_reflected_at_once(admin_client, pairs, count_queries):
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    form = {"name": "Completely Unrelated", "status": "client", "email": "", "phone": "",
            "website": "", "legal_id": "", "comments": ""}
    response = admin_client.post(f"/admin/company/edit/?id={d.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    page, statements = _load(admin_client, count_queries)
    # Only the edited company was re-scored, when the edit was saved: the page reads the cache.
    assert not _scanned(statements) and f'data-pair="{c.id}-{d.id}"' not in page
    assert cached_scan().result().pairs == scan().pairs


def test_edits_patched_one_by_one_give_what_a_full_scan_gives(make_company):
    rng = random.Random(11)
    stems = ["Kestrel", "Nordic", "Umbra", "Zentrix", "Halcyon"]
    companies = [make_company(f"{rng.choice(stems)} {rng.choice(['Media', 'Foods', 'Labs'])}",
                              phone=rng.choice([None, "612 345 678", "699 000 111"]))
                 for _ in range(25)]
    cached_scan()
    for _ in range(15):
        company = rng.choice(companies)
        company.name = f"{rng.choice(stems)}{rng.choice(['', 'e', 's'])} {rng.choice(['Media', 'Lab'])}"
        company.phone = rng.choice([None, "612 345 678", "+34 699 000 111"])
        db.session.commit()
        companies.append(make_company(rng.choice(stems) + " Group"))
    result = cached_scan()
    assert result.from_cache and result.patched_at is not None
    assert result.result().pairs == scan().pairs
    assert result.companies == len(companies)


def test_a_new_company_is_reflected_at_once(admin_client, pairs, make_company, count_queries):
    _load(admin_client, count_queries)
    twin = make_company("NORDIC FOODS")
    page, _ = _load(admin_client, count_queries)
    assert f'data-pair="{pairs[2].id}-{twin.id}"' in page


def test_an_edit_committed_late_with_an_older_timestamp_is_still_rescored(pairs, count_queries):
    a, b, c, d = pairs
    cached_scan()
    # A long transaction stamps updated_at when it flushes, not when it commits: the data
    # version alone would miss it (same count, same latest timestamp), the generation does not.
    c.name, c.phone = "Completely Unrelated", None
    db.session.flush()
    c.updated_at = datetime(2000, 1, 1)
    db.session.commit()
    with count_queries() as statements:
        result = cached_scan()
    assert not _scanned(statements) and result.from_cache  # re-scored at the commit
    assert all({p.low.id, p.high.id} != {c.id, d.id} for p in result.result().pairs)


def test_a_set_based_update_invalidates(pairs):
    a, b = pairs[:2]
    cached_scan()
    db.session.execute(update(Company).where(Company.id == a.id)
                       .values(name="Completely Unrelated", name_key="completely unrelated",
                               email=None, email_domain="", updated_at=datetime(2000, 1, 1)))
    db.session.commit()
    result = cached_scan()
    assert not result.from_cache
    assert all({p.low.id, p.high.id} != {a.id, b.id} for p in result.result().pairs)


def test_a_write_outside_the_application_changes_the_data_version(pairs):
    cached_scan()
    with db.engine.begin() as conn:  # no session, so no generation bump: the version must do
        conn.execute(text("DELETE FROM companies WHERE id = :id"), {"id": pairs[3].id})
    assert not cached_scan().from_cache


def test_a_write_outside_the_application_to_a_company_already_pending_moves_the_version(pairs):
    # Plain SQL, no generation bump: the trigger renumbers the company's pending change, so the
    # version moves although as many changes are pending as before.
    cached_scan()
    rename = text("UPDATE companies SET name = :name, name_key = :key WHERE id = :id")
    with db.engine.begin() as conn:
        conn.execute(rename, {"name": "Atlas One", "key": "atlas one", "id": pairs[0].id})
    before = duplicate_cache.data_version()
    with db.engine.begin() as conn:
        conn.execute(rename, {"name": "Nordic Foods", "key": "nordic foods", "id": pairs[0].id})
    after = duplicate_cache.data_version()
    assert after[0] == before[0] and after != before
    result = cached_scan()
    assert not result.from_cache
    assert any({p.low.id, p.high.id} == {pairs[0].id, pairs[2].id} for p in result.result().pairs)


def test_a_cached_load_reads_no_company_row(admin_client, pairs, make_company, count_queries):
    for i in range(30):
        make_company(f"Filler {i:02d} Trading", commit=False)
    db.session.commit()
    _load(admin_client, count_queries)
    _page, warm = _load(admin_client, count_queries)
    assert not any("companies" in s.lower() for s in warm), warm


def test_a_process_decodes_a_stored_scan_once_while_it_stays_the_same(pairs, monkeypatch):
    cached_scan()  # scans and stores
    decoded = []
    real = duplicate_cache._decode
    monkeypatch.setattr(duplicate_cache, "_decode", lambda raw: decoded.append(1) or real(raw))
    monkeypatch.setattr(duplicate_cache, "_shared", None)
    first, second = cached_scan(), cached_scan()
    assert first.from_cache and second.from_cache and len(decoded) == 1
    a, b, c, d = pairs
    c.name = "Kestrel Media Group"  # re-scored at the commit: new bytes in Redis
    db.session.commit()
    again = cached_scan()
    # The re-score read the entry to change it; this load uses what the re-score stored.
    assert again.from_cache and len(decoded) == 2
    assert any(c.id in (p.low.id, p.high.id) for p in again.result().pairs)


def test_a_load_fetches_the_stored_scan_only_when_its_digest_changed(pairs, monkeypatch):
    cached_scan()  # scans and stores; this process holds what it stored
    real = duplicate_cache.redis_client
    fetched = []

    class Recording:
        def __init__(self, client):
            self.client = client

        def get(self, key):
            fetched.append(key)
            return self.client.get(key)

        def __getattr__(self, name):
            return getattr(self.client, name)

    monkeypatch.setattr(duplicate_cache, "redis_client", lambda: Recording(real()))
    scan_key = duplicate_cache._scan_key()
    assert cached_scan().from_cache and scan_key not in fetched
    # Another process stored a scan (a re-score there): different bytes, different digest.
    monkeypatch.setattr(duplicate_cache, "_shared", (b"another digest", {}, {}))
    again = cached_scan()
    assert again.from_cache and fetched.count(scan_key) == 1
    assert cached_scan().from_cache and fetched.count(scan_key) == 1


def test_rescan_now_scans_again_and_says_so(admin_client, pairs, count_queries):
    _load(admin_client, count_queries)
    with count_queries() as statements:
        response = admin_client.post(PAGE + "rescan/", data={"min_score": "90"},
                                     follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _scanned(statements)
    assert "Rescanned 4 companies in" in page and "2 possible pairs at this minimum score" in page
    assert 'value="90" selected' in page
    assert admin_client.post(PAGE + "rescan/", csrf=False).status_code == 400


def test_users_cannot_rescan(user_client):
    assert user_client.post(PAGE + "rescan/").status_code == 403


@pytest.fixture
def redis_down(app):
    url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    yield
    app.config["REDIS_URL"] = url


def test_with_redis_down_the_page_scans_live_and_warns(admin_client, pairs, redis_down, caplog,
                                                       count_queries):
    a, b, c, d = pairs
    with caplog.at_level(logging.WARNING, logger="admin_app.services.duplicate_cache"):
        page, statements = _load(admin_client, count_queries)
        assert _scanned(statements) and f'data-pair="{a.id}-{b.id}"' in page
        assert "data-scan-cache-down" in page
        assert admin_client.post(PAGE + "ignore/", data={"low": a.id, "high": b.id}).status_code == 302
        page, statements = _load(admin_client, count_queries)
        assert _scanned(statements) and f'data-pair="{a.id}-{b.id}"' not in page
        rescan = admin_client.post(PAGE + "rescan/", follow_redirects=True)
        assert rescan.status_code == 200 and "Rescanned" in rescan.get_data(as_text=True)
    assert "duplicates scan cache unavailable" in caplog.text


def test_a_cache_entry_it_cannot_read_is_a_miss(pairs):
    redis_client().set(app_key("duplicates", "scan"), b"not a scan")
    first = cached_scan()
    assert not first.from_cache and cached_scan().from_cache


def test_the_cache_lives_under_the_app_prefix(app, pairs):
    cached_scan()
    prefix = app.config["RATELIMIT_PREFIX"]
    assert redis_client().exists(f"{prefix}:duplicates:scan")
    assert duplicate_cache.CACHE_TTL_SECONDS >= redis_client().ttl(f"{prefix}:duplicates:scan") > 0


def test_age_text_reads_like_a_person_would_say_it():
    now = datetime(2024, 5, 1, 12, 0, 0)
    assert age_text(datetime(2024, 5, 1, 11, 59, 30), now) == "just now"
    assert age_text(datetime(2024, 5, 1, 11, 59, 0), now) == "1 minute ago"
    assert age_text(datetime(2024, 5, 1, 9, 0, 0), now) == "3 hours ago"
    assert age_text(datetime(2024, 4, 29, 12, 0, 0), now) == "2 days ago"


def test_durations_read_in_milliseconds_or_seconds():
    assert duration_text(0.042) == "42 ms" and duration_text(6.08) == "6.1 s"


@pytest.fixture
def on_a_queue(app, redis_url):
    """RQ_REDIS_URL set, and a way to run what was queued (an RQ worker, in burst mode)."""
    from rq import SimpleWorker

    from admin_app.services.jobs import queue
    app.config.update(RQ_REDIS_URL=redis_url, RQ_QUEUE=f"test-dups-{id(app)}")

    def run_queued() -> None:
        q = queue()
        SimpleWorker([q], connection=q.connection).work(burst=True)
    try:
        yield run_queued
    finally:
        queue().empty()
        app.config.update(RQ_REDIS_URL=None)


def test_with_a_queue_the_full_scan_runs_in_the_background_with_progress(
        admin_client, pairs, on_a_queue, count_queries):
    page, statements = _load(admin_client, count_queries)
    assert not _scanned(statements)
    assert "data-scan-progress" in page and "data-scan-first" in page
    assert 'http-equiv="refresh"' in page
    on_a_queue()
    page, statements = _load(admin_client, count_queries)
    assert not _scanned(statements) and "data-scan-progress" not in page
    assert f'data-pair="{pairs[0].id}-{pairs[1].id}"' in page


def test_with_a_queue_an_edit_is_rescored_by_the_worker_and_the_page_waits_for_it(
        admin_client, pairs, on_a_queue, count_queries):
    a, b, c, d = pairs
    admin_client.get(PAGE)
    on_a_queue()
    d.name, d.phone = "Completely Unrelated", None
    db.session.commit()
    page, statements = _load(admin_client, count_queries)
    # The re-score is queued: the last scan is shown as it is, no full scan starts.
    assert not _scanned(statements) and "data-scan-progress" not in page
    on_a_queue()
    page, _ = _load(admin_client, count_queries)
    assert f'data-pair="{c.id}-{d.id}"' not in page
    assert cached_scan().result().pairs == scan().pairs


def test_with_a_queue_rescan_now_starts_a_background_scan(admin_client, pairs, on_a_queue):
    admin_client.get(PAGE)
    on_a_queue()
    response = admin_client.post(PAGE + "rescan/", data={"min_score": "80"})
    assert response.status_code == 302
    assert "data-scan-progress" in admin_client.get(PAGE).get_data(as_text=True)
    on_a_queue()
    assert "data-scan-progress" not in admin_client.get(PAGE).get_data(as_text=True)


def test_a_commit_of_many_companies_rescans_instead_of_rescoring_each(pairs, make_company,
                                                                      count_queries):
    from admin_app.services.duplicate_cache import INCREMENTAL_LIMIT
    cached_scan()
    for i in range(INCREMENTAL_LIMIT + 1):
        make_company(f"Imported {i:04d} Ventures", commit=False)
    twin = make_company("KESTREL MEDIA", commit=False)
    db.session.commit()
    with count_queries() as statements:
        result = cached_scan()
    assert _scanned(statements) and not result.from_cache
    assert any(twin.id in (p.low.id, p.high.id) for p in result.result().pairs)


EDIT_D = {"name": "Completely Unrelated", "status": "client", "email": "", "phone": "",
          "website": "", "legal_id": "", "comments": ""}


def test_a_save_whose_rescore_fails_stays_saved_and_the_next_load_rescans(
        admin_client, pairs, count_queries):
    """Without a queue the save re-scores its company itself, right after its commit: a failure
    there (here the database aborting it as a deadlock's loser) must not tell the user that
    nothing was saved, nor undo what the save did outside the database."""
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    with collision_at(lambda sql: sql.lstrip().upper().startswith(
            "DELETE FROM DUPLICATE_KEY_CHANGES")) as hit:
        response = admin_client.post(f"/admin/company/edit/?id={d.id}", data=dict(EDIT_D),
                                     follow_redirects=True)
    assert hit["collided"] == 1
    html = response.get_data(as_text=True)
    assert "Nothing was saved" not in html and "successfully saved" in html
    db.session.expire_all()
    assert db.session.get(Company, d.id).name == "Completely Unrelated"
    page, statements = _load(admin_client, count_queries)
    assert _scanned(statements) and f'data-pair="{c.id}-{d.id}"' not in page
    assert cached_scan().result().pairs == scan().pairs


def test_a_save_does_not_wait_for_a_full_scan_under_way(admin_client, pairs, count_queries):
    """A scan holding the cached scan's lock (a full scan takes seconds at 100,000 companies):
    the save goes through at once and leaves the scan stale instead of waiting to patch it."""
    a, b, c, d = pairs
    _load(admin_client, count_queries)
    # Held longer than a save may wait, shorter than a save used to wait (120 s): a save that
    # waited would patch the entry once this expires, and the load below would not rescan.
    lock = duplicate_cache.scan_lock(redis_client(), 15)
    assert lock.acquire()
    try:
        response = admin_client.post(f"/admin/company/edit/?id={d.id}", data=dict(EDIT_D))
        assert response.status_code == 302
    finally:
        if lock.owned():
            lock.release()
    page, statements = _load(admin_client, count_queries)
    assert _scanned(statements) and f'data-pair="{c.id}-{d.id}"' not in page


def test_the_scan_and_the_rescore_of_an_edit_run_with_the_garbage_collector_paused(
        pairs, monkeypatch):
    """A full collection walked every company's row, keys and blocks again (a third of the scan
    at 100,000 companies) though they hold no reference cycle; the re-score of an edit holds
    every pair of the scan. Both pause the collector, and it is back on after."""
    import gc

    from admin_app.services import duplicate_refresh
    seen = []

    def watched(function):
        def call(*args, **kwargs):
            seen.append((function.__name__, gc.isenabled()))
            return function(*args, **kwargs)
        return call
    monkeypatch.setattr(duplicate_cache, "scan", watched(duplicate_cache.scan))
    monkeypatch.setattr(duplicate_refresh, "rescore", watched(duplicate_refresh.rescore))
    assert gc.isenabled()
    cached_scan()
    a = pairs[0]
    a.name = "Kestrel Media Group"
    db.session.commit()  # re-scored now: no queue
    assert seen == [("scan", False), ("rescore", False)]
    assert gc.isenabled()
    assert cached_scan().result().pairs == scan().pairs
