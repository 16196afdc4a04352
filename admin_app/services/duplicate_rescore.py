"""Re-scoring the companies changed since a scan, from their blocks only.

What a full scan would now find, for every pair a change can touch: the changed companies'
pairs are computed again against the members of their blocks (read by index, never more than a
block's limit plus one), and where a change moves a block across its size limit (the full scan
compares a block of 50 and skips one of 51) the pairs between that block's other members are
judged again too, from every key they share.
"""
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import DuplicateIgnore
from .duplicate_keys import CHUNK, block_members, live_rows_of
from .duplicates import BLOCK_LIMIT, Pair, Row, block_keys, compare


@dataclass
class Rescore:
    """What replaces the scan's pairs that `changed` or `judged` name."""
    changed: set[int]
    judged: set[tuple[int, int]]
    found: list[Pair]
    skipped_change: int  # blocks newly too big to compare, minus blocks no longer so


def compared(key: str, size: int) -> bool:
    """Whether the full scan compares the members of a block of `size` companies."""
    return 2 <= size <= BLOCK_LIMIT[key[0]]


def rescore(session: Session, old: dict[int, set[str]], new: dict[int, set[str]],
            rows: dict[int, Row]) -> Rescore:
    """The pairs of the changed companies (keys `old` before, `new` now; `rows`: the live ones)
    and of the blocks they moved across a limit, with the stored keys already rewritten."""
    changed = set(old) | set(new)
    joined, left = Counter(), Counter()
    for company_id in changed:
        before, after = old.get(company_id, set()), new.get(company_id, set())
        joined.update(after - before)
        left.update(before - after)
    members = block_members(session, set(joined) | set(left) | set().union(*new.values()),
                            extra=len(changed))
    skipped_change, flipped = 0, []
    for key, ids in members.items():
        # A block read whole, or cut at limit + 1 + len(changed): too big before and after.
        size_before = len(ids) - joined[key] + left[key]
        limit = BLOCK_LIMIT[key[0]]
        skipped_change += (len(ids) > limit) - (size_before > limit)
        if compared(key, size_before) != compared(key, len(ids)):
            flipped.append(key)
    candidates: set[tuple[int, int]] = set()
    for company_id, keys in new.items():
        for key in keys:
            if compared(key, len(members[key])):
                candidates.update(_ordered(company_id, other) for other in members[key]
                                  if other != company_id)
    others = {i for key in flipped for i in members[key] if i not in changed}
    judged = {_ordered(a, b) for key in flipped
              for a, b in combinations([i for i in members[key] if i not in changed], 2)}
    wanted = {i for pair in candidates for i in pair} | others
    rows = {**live_rows_of(session, wanted - rows.keys()), **rows}
    # A company merged or deleted since its keys were read is listed as changed again: the
    # next re-score handles it, so it is left out here.
    candidates = {pair for pair in candidates if pair[0] in rows and pair[1] in rows}
    candidates |= _still_blocked(session, {p for p in judged if p[0] in rows and p[1] in rows},
                                 rows, members)
    ignored = _ignored_among(session, {i for pair in candidates for i in pair})
    found = [pair for pair in (compare(rows[low], rows[high])
                               for low, high in candidates - ignored) if pair]
    return Rescore(changed, judged, found, skipped_change)


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _still_blocked(session: Session, judged: set[tuple[int, int]], rows: dict[int, Row],
                   members: dict[str, list[int]]) -> set[tuple[int, int]]:
    """The judged pairs that still share a block the full scan compares."""
    keys = {i: block_keys(rows[i]) for pair in judged for i in pair}
    shared = {pair: keys[pair[0]] & keys[pair[1]] for pair in judged}
    sizes = {k: len(v) for k, v in members.items()}
    unknown = set().union(*shared.values()) - sizes.keys()
    sizes.update((k, len(v)) for k, v in block_members(session, unknown).items())
    return {pair for pair, common in shared.items() if any(compared(k, sizes[k]) for k in common)}


def _ignored_among(session: Session, ids: set[int]) -> set[tuple[int, int]]:
    ids_list, ignored = sorted(ids), set()
    for start in range(0, len(ids_list), CHUNK):
        chunk = ids_list[start:start + CHUNK]
        ignored.update(session.execute(
            select(DuplicateIgnore.company_low_id, DuplicateIgnore.company_high_id)
            .where(or_(DuplicateIgnore.company_low_id.in_(chunk),
                       DuplicateIgnore.company_high_id.in_(chunk)))).tuples())
    return ignored
