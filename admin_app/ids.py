"""Whole numbers read from requests (ids, pages): only what the database can hold, anything
else counts as absent."""
from typing import Any

from .models.base import MAX_ID


def parse_id(value: Any, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """`value` as an int within [minimum, maximum], else None. Only ASCII digits count: int()
    would also take " 7", "+7", "1_000" and other scripts' digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "")
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
            return None
        number = int(text)
    return number if minimum <= number <= maximum else None
