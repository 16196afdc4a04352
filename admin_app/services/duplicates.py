"""Possible duplicate companies: blocking on normalised keys, then scoring pairs with rapidfuzz.

Never all pairs: companies are grouped by candidate keys (legal id, email domain, phone, the
compact name, rare name words and one-letter-deletion variants of longer words) and only
companies sharing a key are compared. A key shared by too many companies (a common word)
identifies nobody and is skipped.
"""
import re
from flask_babel import gettext as _
from collections import defaultdict
from dataclasses import dataclass, field
from collections.abc import Callable
from itertools import combinations

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Company, DuplicateIgnore, User
from ..normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone

NAME_THRESHOLD = 85
STRENGTH = {"legal_id": 100, "email_domain": 80, "phone": 75}
REASON_LABELS = {"name": _l("Similar name"), "legal_id": _l("Same legal ID"),
                 "email_domain": _l("Same email domain"), "phone": _l("Same phone")}
# One whole sentence per reason, so each language can order the words and the value itself.
REASON_SENTENCES = {"legal_id": _l("Same legal ID: %(value)s"),
                    "email_domain": _l("Same email domain: %(value)s"),
                    "phone": _l("Same phone: %(value)s")}
# Largest block compared, by key kind: exact identifiers may group more companies than words.
BLOCK_LIMIT = {"l": 200, "e": 50, "p": 50, "n": 50, "t": 40, "d": 40}
MIN_PHONE_DIGITS = 6
PROGRESS_EVERY = 20_000


@dataclass(frozen=True)
class Row:
    id: int
    name: str
    name_key: str
    legal_id_key: str
    email_domain: str
    phone_key: str


@dataclass
class Pair:
    low: Row
    high: Row
    score: int
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)


@dataclass
class ScanResult:
    pairs: list[Pair]
    companies: int
    skipped_keys: int
    groups: list[list[Row]]


def reason_text(kind: str, detail: str) -> str:
    """The reason for a pair as a translated sentence: 'Similar name: 92% alike'."""
    if kind == "name":
        # Scans cached before this wording stored "92% similar": the number is what counts.
        percent = re.match(r"\d+", str(detail))
        return _("Similar name: %(percent)s%% alike", percent=percent.group() if percent else "?")
    sentence = REASON_SENTENCES.get(kind)
    return str(sentence) % {"value": detail} if sentence else f"{kind}: {detail}"


def _tokens(name_key: str) -> list[str]:
    words = name_key.split()
    # Stray letters ("s l" from "S.L.") carry no identity.
    return [w for w in words if len(w) > 1] or words


def name_score(a: str, b: str) -> int:
    """0-100 similarity of two normalised names, judged on the words they do not share."""
    if not a or not b:
        return 0
    if re.sub(r"\D", "", a) != re.sub(r"\D", "", b):
        return min(_letters_score(a, b), NAME_THRESHOLD - 1)  # "Store 12" is not "Store 13"
    return _letters_score(a, b)


def _letters_score(a: str, b: str) -> int:
    ta, tb = _tokens(a), _tokens(b)
    if "".join(ta) == "".join(tb):
        return 100  # the same letters, written together or apart
    common = set(ta) & set(tb)
    rest_a = " ".join(sorted(w for w in ta if w not in common))
    rest_b = " ".join(sorted(w for w in tb if w not in common))
    if not rest_a or not rest_b:
        # One name is the other plus words: close when the extra words are short.
        longer = max(len(" ".join(ta)), len(" ".join(tb)))
        return round(70 + 30 * len(" ".join(sorted(common))) / longer)
    # A typo in the distinctive word must not hide behind a shared common word, and two
    # different distinctive words must not look alike because "Logistics" matches.
    distinct = OSA.normalized_similarity(rest_a, rest_b) * 100
    if OSA.distance(rest_a, rest_b) == 1 and min(len(rest_a), len(rest_b)) >= 4:
        distinct = max(distinct, NAME_THRESHOLD + 1)  # one typo: worth a look, ranked low
    return round(min(fuzz.token_sort_ratio(" ".join(ta), " ".join(tb)), distinct))


def compare(a: Row, b: Row) -> Pair | None:
    """The pair's reasons and score, or None when nothing links them."""
    reasons, strengths = [], []
    similarity = name_score(a.name_key, b.name_key)
    if similarity >= NAME_THRESHOLD:
        reasons.append(("name", str(similarity)))
        strengths.append(similarity)
    for kind, attr in (("legal_id", "legal_id_key"), ("email_domain", "email_domain"),
                       ("phone", "phone_key")):
        value = getattr(a, attr)
        if value and value == getattr(b, attr) and (kind != "phone" or len(value) >= MIN_PHONE_DIGITS):
            reasons.append((kind, value))
            strengths.append(STRENGTH[kind])
    if not reasons:
        return None
    low, high = (a, b) if a.id < b.id else (b, a)
    return Pair(low, high, min(100, max(strengths) + 5 * (len(reasons) - 1)), reasons)


def block_keys(row: Row) -> set[str]:
    """The keys a company is compared under; the first letter is the kind (see BLOCK_LIMIT)."""
    keys = set()
    if row.legal_id_key:
        keys.add("l:" + row.legal_id_key)
    if row.email_domain:
        keys.add("e:" + row.email_domain)
    if len(row.phone_key) >= MIN_PHONE_DIGITS:
        keys.add("p:" + row.phone_key)
    if row.name_key:
        keys.add("n:" + row.name_key.replace(" ", ""))
    for token in set(row.name_key.split()):
        if len(token) >= 3:
            keys.add("t:" + token)
        if 5 <= len(token) <= 20:
            # One deleted letter on both sides catches a typo, a missing or a swapped letter.
            keys.update("d:" + token[:i] + token[i + 1:] for i in range(len(token)))
    return keys


def live_rows(session=None) -> list[Row]:
    """Every live company's keys, by id."""
    result = (session or db.session).execute(
        select(Company.id, Company.name, Company.name_key, Company.legal_id_key,
               Company.email_domain, Company.phone_key)
        .where(Company.merged_into_id.is_(None)).order_by(Company.id))
    return [Row(*r) for r in result]


def ignored_pairs(session=None) -> set[tuple[int, int]]:
    return set((session or db.session).execute(
        select(DuplicateIgnore.company_low_id, DuplicateIgnore.company_high_id)).tuples())


def block_index(rows: list[Row]) -> dict[str, list[int]]:
    """Each block key and the positions in `rows` of the companies under it."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        for key in block_keys(row):
            blocks[key].append(index)
    return blocks


def scan(min_score: int = 0, progress: Callable[[int, int], None] | None = None,
         rows: list[Row] | None = None, blocks: dict[str, list[int]] | None = None) -> ScanResult:
    """Every likely duplicate pair among live companies, best first, ignored pairs excluded.

    `progress(done, total)` is called now and then while pairs are compared (the long part);
    `rows` (the live companies by id) and their `blocks`, when the caller has them already."""
    rows = live_rows() if rows is None else rows
    blocks = block_index(rows) if blocks is None else blocks
    seen: set[tuple[int, int]] = set()
    skipped = 0
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if len(members) > BLOCK_LIMIT[key[0]]:
            skipped += 1
            continue
        seen.update(combinations(members, 2))
    ignored = ignored_pairs()
    pairs = []
    total = len(seen)
    for done, (i, j) in enumerate(seen):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        pair = compare(rows[i], rows[j])
        if pair and pair.score >= min_score and (pair.low.id, pair.high.id) not in ignored:
            pairs.append(pair)
    pairs.sort(key=pair_order)
    return ScanResult(pairs, len(rows), skipped, groups_of(pairs))


def pair_order(pair: Pair) -> tuple:
    """Best first; among equals by name, then ids."""
    return -pair.score, pair.low.name_key, pair.low.id, pair.high.id


def groups_of(pairs: list[Pair], min_size: int = 3) -> list[list[Row]]:
    """Companies linked through pairs (union-find), for groups of `min_size` or more."""
    rows = {}
    for pair in pairs:
        rows[pair.low.id], rows[pair.high.id] = pair.low, pair.high
    links = [(pair.low.id, pair.high.id) for pair in pairs]
    return [[rows[i] for i in group]
            for group in linked_groups(links, lambda i: rows[i].name_key, min_size)]


def linked_groups(links: list[tuple[int, int]], name_key, min_size: int = 3) -> list[list[int]]:
    """The ids linked through (low, high) links, biggest group first; on ids, so it is cheap."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for low, high in links:
        parent[root(low)] = root(high)
    members: dict[int, list[int]] = defaultdict(list)
    for company_id in dict.fromkeys(i for link in links for i in link):
        members[root(company_id)].append(company_id)
    groups = [sorted(g) for g in members.values() if len(g) >= min_size]
    return sorted(groups, key=lambda g: (-len(g), name_key(g[0])))


def find_duplicate_candidates(name: str | None, legal_id: str | None, email: str | None,
                              phone: str | None, exclude_id: int | None = None,
                              limit: int = 10) -> list[tuple[Company, Pair]]:
    """Live companies that look like the one being entered, best first (for the create form)."""
    probe = Row(0, name or "", normalize_name(name), normalize_legal_id(legal_id),
                email_domain(email), normalize_phone(phone))
    exact = [Company.name_key == probe.name_key] if probe.name_key else []
    if probe.legal_id_key:
        exact.append(Company.legal_id_key == probe.legal_id_key)
    if probe.email_domain:
        exact.append(Company.email_domain == probe.email_domain)
    if len(probe.phone_key) >= MIN_PHONE_DIGITS:
        exact.append(Company.phone_key == probe.phone_key)
    if not exact:
        return []
    live = [Company.merged_into_id.is_(None)]
    if exclude_id is not None:
        live.append(Company.id != exclude_id)
    found = {c.id: c for c in db.session.scalars(select(Company).where(*live, or_(*exact))
                                                 .limit(200))}
    if len(probe.name_key) >= 4:
        # Names starting alike, for near-misses such as a typo near the end of the name.
        prefix = probe.name_key[:6].replace("%", "").replace("_", "")
        found.update((c.id, c) for c in db.session.scalars(
            select(Company).where(*live, Company.name_key.like(prefix + "%")).limit(300)))
    scored = []
    for company in found.values():
        pair = compare(probe, _row(company))
        if pair:
            scored.append((company, pair))
    scored.sort(key=lambda cp: (-cp[1].score, cp[0].name))
    return scored[:limit]


def _row(company: Company) -> Row:
    return Row(company.id, company.name, company.name_key, company.legal_id_key,
               company.email_domain, company.phone_key)


def ignore_pair(first_id: int, second_id: int, user: User | None) -> DuplicateIgnore:
    """Remember that two companies are not duplicates (idempotent); flushes only."""
    if first_id == second_id:
        raise ValueError(_("A company cannot be paired with itself."))
    low, high = sorted((first_id, second_id))
    existing = db.session.scalar(select(DuplicateIgnore).where(
        DuplicateIgnore.company_low_id == low, DuplicateIgnore.company_high_id == high))
    if existing:
        return existing
    entry = DuplicateIgnore(company_low_id=low, company_high_id=high,
                            user_id=user.id if user else None)
    db.session.add(entry)
    db.session.flush()
    return entry
