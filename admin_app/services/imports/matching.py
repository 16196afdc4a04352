"""Which existing company an import row is: the same legal ID, else the same email, else the
duplicate scorer of services/duplicates.py at or above the user's threshold. Rows are matched
a batch at a time, a few indexed queries per batch, never one query per row."""
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import Company
from ...normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
from ..duplicates import MIN_PHONE_DIGITS, Row, compare, reason_text
from .rows import ParsedRow

PREFIX_LENGTH = 6
CHUNK = 500  # values per IN (...), well under SQLite's limit on bound parameters
# A key shared by more companies than this (a big group's email domain) identifies nobody.
KEY_LIMIT = 200


@dataclass
class Match:
    company_id: int
    name: str
    kind: str  # "legal_id", "email" or "similar"
    reason: str
    score: int


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _live():
    return Company.merged_into_id.is_(None)


@lru_cache(maxsize=8192)
def name_key(name: str | None) -> str:
    """normalize_name, remembered: the preview needs each row's key several times."""
    return normalize_name(name)


def _probe(row: ParsedRow) -> Row:
    values = row.company
    return Row(0, values.get("name", ""), name_key(values.get("name")),
               normalize_legal_id(values.get("legal_id")), email_domain(values.get("email")),
               normalize_phone(values.get("phone")))


class Matcher:
    """Finds the company each row of a batch is, by legal ID, email or similarity."""

    def __init__(self, threshold: int):
        self.threshold = max(50, min(100, int(threshold)))

    def match(self, rows: list[ParsedRow]) -> list[Match | None]:
        """One match (or None) per row, in order."""
        probes = [_probe(row) for row in rows]
        by_legal = self._by_legal_id({p.legal_id_key for p in probes if p.legal_id_key})
        emails = {(row.company.get("email") or "").lower() for row in rows} - {""}
        by_email = self._by_email(emails)
        similar = self._similar_candidates(probes)
        found = []
        for row, probe in zip(rows, probes):
            email = (row.company.get("email") or "").lower()
            if probe.legal_id_key in by_legal:
                company_id, name = by_legal[probe.legal_id_key]
                found.append(Match(company_id, name, "legal_id",
                                   _("Same legal ID (%(value)s)", value=probe.legal_id_key), 100))
            elif email in by_email:
                company_id, name = by_email[email]
                found.append(Match(company_id, name, "email",
                                   _("Same email (%(value)s)", value=email), 100))
            else:
                found.append(self._best_similar(probe, similar))
        return found

    def _by_legal_id(self, keys: set[str]) -> dict[str, tuple[int, str]]:
        result: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(sorted(keys)):
            # The oldest company wins when several share the key (they are duplicates).
            for key, company_id, name in db.session.execute(
                    select(Company.legal_id_key, Company.id, Company.name)
                    .where(_live(), Company.legal_id_key.in_(chunk)).order_by(Company.id.desc())):
                result[key] = (company_id, name)
        return result

    def _by_email(self, emails: set[str]) -> dict[str, tuple[int, str]]:
        result: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(sorted(emails)):
            for email, company_id, name in db.session.execute(
                    select(func.lower(Company.email), Company.id, Company.name)
                    .where(_live(), func.lower(Company.email).in_(chunk))
                    .order_by(Company.id.desc())):
                result[email] = (company_id, name)
        return result

    def _similar_candidates(self, probes: list[Row]) -> dict[str, list[Row]]:
        """Existing companies sharing a blocking key with some row: name, name prefix, email
        domain or phone (the keys the create form's duplicate warning looks at)."""
        wanted = defaultdict(set)
        for probe in probes:
            if probe.name_key:
                wanted["name"].add(probe.name_key)
            if len(probe.name_key) >= 4:
                wanted["prefix"].add(probe.name_key[:PREFIX_LENGTH])
            if probe.email_domain:
                wanted["domain"].add(probe.email_domain)
            if len(probe.phone_key) >= MIN_PHONE_DIGITS:
                wanted["phone"].add(probe.phone_key)
        columns = {"name": Company.name_key,
                   "prefix": func.substr(Company.name_key, 1, PREFIX_LENGTH),
                   "domain": Company.email_domain, "phone": Company.phone_key}
        rows: dict[int, Row] = {}
        for kind, values in wanted.items():
            for chunk in _chunks(sorted(values)):
                for found in db.session.execute(
                        select(Company.id, Company.name, Company.name_key, Company.legal_id_key,
                               Company.email_domain, Company.phone_key)
                        .where(_live(), columns[kind].in_(chunk))):
                    rows[found.id] = Row(*found)
        index: dict[str, list[Row]] = defaultdict(list)
        for row in rows.values():
            for key in _keys(row):
                index[key].append(row)
        return {key: found for key, found in index.items() if len(found) <= KEY_LIMIT}

    def _best_similar(self, probe: Row, index: dict[str, list[Row]]) -> Match | None:
        best = None
        seen: set[int] = set()
        for key in _keys(probe):
            for candidate in index.get(key, ()):
                if candidate.id in seen:
                    continue
                seen.add(candidate.id)
                pair = compare(probe, candidate)
                if pair is None or pair.score < self.threshold:
                    continue
                if best is None or (pair.score, -candidate.id) > (best[0].score, -best[1].id):
                    best = (pair, candidate)
        if best is None:
            return None
        pair, candidate = best
        reason = ", ".join(reason_text(kind, detail) for kind, detail in pair.reasons)
        return Match(candidate.id, candidate.name, "similar",
                     _("Looks like it, score %(score)d: %(reasons)s", score=pair.score,
                       reasons=reason), pair.score)


def _keys(row: Row) -> list[str]:
    keys = []
    if row.name_key:
        keys.append("n:" + row.name_key)
    if len(row.name_key) >= 4:
        keys.append("x:" + row.name_key[:PREFIX_LENGTH])
    if row.email_domain:
        keys.append("e:" + row.email_domain)
    if len(row.phone_key) >= MIN_PHONE_DIGITS:
        keys.append("p:" + row.phone_key)
    return keys
