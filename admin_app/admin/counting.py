"""A list count that stops at a cap, so a search on 100,000 rows never counts them all."""
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Query, scoped_session


class CappedCount(int):
    """A count that stopped at its cap: the list says "1,000+", not a number it never reached."""

    cap: int


class CappedCountQuery(Query):
    """`scalar()` counts at most `cap + 1` rows: enough to know the pages, never the whole table."""

    cap: int = 10_000

    def with_cap(self, cap: int) -> "CappedCountQuery":
        query = self.filter()  # a copy: the original keeps its cap
        query.cap = cap
        return query

    def scalar(self):
        rows = self.with_entities(literal_column("1"))
        if self.session.get_bind().dialect.name == "postgresql":
            # Planned for every row, then read until the cap: with the LIMIT inside, PostgreSQL
            # expects matches spread evenly and scans calling ILIKE on each row until it has
            # cap + 1 of them (100 ms for 1,001 of 4,000 at 100,000 companies), where the
            # trigram bitmap reads the matches only. A CTE is read lazily, so it stops there.
            counted = rows.cte("counted").prefix_with("MATERIALIZED")
            inner = select(literal_column("1")).select_from(counted).limit(self.cap + 1).subquery()
        else:
            inner = rows.limit(self.cap + 1).subquery()
        count = self.session.query(func.count()).select_from(inner).scalar()
        if count <= self.cap:
            return count
        capped = CappedCount(count)
        capped.cap = self.cap
        return capped


def capped_count_query(session, model, cap: int) -> CappedCountQuery:
    real = session() if isinstance(session, scoped_session) else session
    query = CappedCountQuery([func.count("*")], session=real).select_from(model)
    query.cap = cap
    return query
