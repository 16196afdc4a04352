"""Row ids read from requests: only what the database can hold, anything else is no id."""
from typing import Any

# The largest value of the `integer` primary keys (PostgreSQL refuses to compare with more).
MAX_ID = 2**31 - 1


def parse_id(value: Any) -> int | None:
    """A positive id from a query string or form value, or None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None
