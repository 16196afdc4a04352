"""What every benchmark measures of a page: the time and SQL statements of a request, and the
median and p95 of a series."""
import statistics
import time

from sqlalchemy import event


def timed_get(client, url: str) -> tuple[float, int]:
    """Milliseconds and SQL statements of one GET (in an app context), which must succeed."""
    from admin_app.extensions import db
    statements: list[int] = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(statements)


def median_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1,
                                                   round(0.95 * (len(ordered) - 1)))]


def progress(iterable, desc: str, total: int | None = None):
    """A progress bar on a terminal (stderr), nothing when the output is a file or a pipe."""
    from tqdm import tqdm
    return tqdm(iterable, desc=desc, total=total, disable=None, leave=False)
