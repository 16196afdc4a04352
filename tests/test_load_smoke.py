"""A short run of bench/bench_load.py: users at once against gunicorn with several workers on the
suite's kind of database; no answer is a 5xx and no acknowledged write is lost. It asserts no
time: the machine's speed is the benchmark's business."""
import importlib.util
import os
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_load.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_concurrent_users_get_no_server_error_and_lose_no_write(app, redis_url, tmp_path):
    bench = _bench_module()
    server = os.environ.get("TEST_DATABASE_URL", "")
    kind = "postgres" if server.startswith("postgresql") else "sqlite"
    with bench.fresh_database(kind, server, tmp_path) as url:
        results = bench.run_load(url, tmp_path, users=10, seconds=60, workers=3, companies=20,
                                 rounds=8, env={"REDIS_URL": redis_url})
    assert results.failures == []  # no 5xx, no 4xx, no refused connection, no failed login
    assert results.server_errors == 0 and results.other_failures == 0
    assert results.writes > 0
    assert results.missing == 0 and results.half_done == 0
