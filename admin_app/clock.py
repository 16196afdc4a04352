"""The business date: the one "today" that due dates, default dates and figures compare with."""
from datetime import date


def today() -> date:
    """Today's date for business rules (overdue, default document dates, the card's figures).

    DESIGN.md's today is the date in the organisation's time zone: that belongs here, and only
    here, so every comparison changes with it. Until then it is the server's local date.
    """
    return date.today()
