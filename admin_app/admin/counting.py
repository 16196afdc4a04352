"""A list count that stops at a cap, so a search on 100,000 rows never counts them all."""
from sqlalchemy import func, literal_column
from sqlalchemy.orm import Query, scoped_session


class CappedCountQuery(Query):
    """`scalar()` counts at most `cap + 1` rows: enough to know the pages, never the whole table."""

    cap: int = 10_000

    def scalar(self):
        inner = self.with_entities(literal_column("1")).limit(self.cap + 1).subquery()
        return self.session.query(func.count()).select_from(inner).scalar()


def capped_count_query(session, model, cap: int) -> CappedCountQuery:
    real = session() if isinstance(session, scoped_session) else session
    query = CappedCountQuery([func.count("*")], session=real).select_from(model)
    query.cap = cap
    return query
