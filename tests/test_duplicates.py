"""Duplicate detection: scores and reasons on crafted pairs, blocking, ignored pairs, tombstones."""
import pytest

from admin_app.extensions import db
from admin_app.services.duplicates import (
    NAME_THRESHOLD, block_keys, find_duplicate_candidates, ignore_pair, name_score, scan,
)
from admin_app.services.merge import merge_companies


def _reasons(result, a, b):
    pair = next((p for p in result.pairs if {p.low.id, p.high.id} == {a.id, b.id}), None)
    return (pair.score, [kind for kind, _ in pair.reasons]) if pair else None


@pytest.mark.parametrize("a, b, similar", [
    ("Acme Logistics SARL", "ACME logistics", True),          # legal form and case
    ("Bluewave Media", "Blue Wave Media", True),              # written together or apart
    ("Zentrix Consulting", "Zentirx Consulting", True),        # swapped letters
    ("Société Générale Énergie", "Societe Generale Energie", True),  # accents
    ("Acme Logistics", "Acme Consulting", False),
    ("Gorix Builders", "Gormi Builders", False),              # a shared common word is not enough
    ("Acme", "Acme Logistics Worldwide", False),
])
def test_name_scores_on_crafted_pairs(a, b, similar):
    from admin_app.normalize import normalize_name
    assert (name_score(normalize_name(a), normalize_name(b)) >= NAME_THRESHOLD) is similar


def test_scan_lists_each_pair_with_its_reasons(make_company):
    kept = make_company("Acme Logistics", legal_id="B-1234 5678", email="info@acme.example",
                        phone="+34 912 345 678")
    same_name = make_company("ACME Logistics SL")
    same_legal = make_company("Totally Different", legal_id="b12345678")
    same_domain = make_company("Other Name", email="sales@acme.example")
    same_phone = make_company("Third Name", phone="0034 912-345-678")
    result = scan()
    assert _reasons(result, kept, same_name) == (100, ["name"])
    assert _reasons(result, kept, same_legal) == (100, ["legal_id"])
    assert _reasons(result, kept, same_domain) == (80, ["email_domain"])
    assert _reasons(result, kept, same_phone) == (75, ["phone"])
    assert result.pairs[0].score >= result.pairs[-1].score
    assert [len(g) for g in result.groups] == [5]


def test_several_reasons_raise_the_score(make_company):
    a = make_company("Nordic Foods", email="a@nordic.example", phone="612345678")
    b = make_company("Nordic Food", email="b@nordic.example", phone="+34 612 345 678")
    score, kinds = _reasons(scan(), a, b)
    assert kinds == ["name", "email_domain", "phone"] and score >= 95


def test_free_mail_domains_and_unrelated_companies_are_not_pairs(make_company):
    a = make_company("Alpha Builders", email="alpha@gmail.com")
    b = make_company("Omega Pharma", email="omega@gmail.com")
    assert _reasons(scan(), a, b) is None


def test_ignored_pairs_and_tombstones_are_left_out(make_company, admin_user):
    a, b, c = make_company("Kestrel Media"), make_company("Kestrel Media SL"), make_company("Kestrel Media SA")
    ignore_pair(b.id, a.id, admin_user)
    ignore_pair(a.id, b.id, admin_user)  # remembered once, whatever the order
    db.session.commit()
    result = scan()
    assert _reasons(result, a, b) is None and _reasons(result, a, c) is not None
    merge_companies(a, c, admin_user)
    db.session.commit()
    assert _reasons(scan(), a, c) is None and _reasons(scan(), b, c) is None


def test_a_key_shared_by_too_many_companies_is_skipped_not_compared(make_company):
    words = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India",
             "Juliett", "Kilo", "Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo",
             "Sierra", "Tango", "Uniform", "Victor", "Whiskey", "Xray", "Yankee", "Zulu"]
    for first in words:
        for second in ("Red", "Green", "Blue"):
            make_company(f"{first} {second} Trading", email="x@reseller.example", commit=False)
    db.session.commit()
    result = scan()
    # 78 companies share a domain and the word "trading": both blocks are skipped.
    assert result.companies == 78 and result.skipped_keys >= 2
    # Only companies sharing a rarer key (another word) were compared: 26 x 3 + 3 x 325 pairs.
    assert all(set(p.low.name_key.split()) & set(p.high.name_key.split()) - {"trading"}
               for p in result.pairs)
    assert len(result.pairs) == 26 * 3 + 3 * 325


def test_names_that_differ_by_their_number_are_not_duplicates():
    assert name_score("store 12 madrid", "store 13 madrid") < NAME_THRESHOLD
    assert name_score("store 12 madrid", "store 12 madird") >= NAME_THRESHOLD


def test_block_keys_cover_identifiers_and_name_words():
    from admin_app.services.duplicates import Row
    keys = block_keys(Row(1, "Zentrix Labs", "zentrix labs", "B1", "z.example", "612345678"))
    assert {"l:B1", "e:z.example", "p:612345678", "n:zentrixlabs", "t:zentrix",
            "d:zentix"} <= keys


def test_creation_candidates_match_name_legal_id_domain_or_phone(make_company):
    acme = make_company("Acme Logistics", legal_id="B12345678", email="info@acme.example",
                        phone="912 345 678")
    make_company("Unrelated Pharma")
    found = find_duplicate_candidates("ACME Logistics S.A.", None, None, None)
    assert [c.id for c, _ in found] == [acme.id]
    for probe in ({"legal_id": "b-12345678"}, {"email": "x@ACME.example"},
                  {"phone": "+34 912345678"}):
        args = {"name": "Something Else", "legal_id": None, "email": None, "phone": None, **probe}
        assert [c.id for c, _ in find_duplicate_candidates(**args)] == [acme.id], probe
    assert find_duplicate_candidates("Acme Logistics", None, "me@gmail.com", None,
                                     exclude_id=acme.id) == []
    assert find_duplicate_candidates("", None, "me@gmail.com", None) == []
