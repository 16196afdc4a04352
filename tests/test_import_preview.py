"""The preview: every row's fate (create, update with the match's reason, skip, error per cell),
written nowhere but the workspace."""
from admin_app.extensions import db
from admin_app.models import Contact, CustomFieldDefinition
from tests.import_helpers import csv_bytes, lines, preview, table_counts


def test_a_new_company_is_created(admin_user):
    workspace, state = preview(csv_bytes([["Nimbus Labs", "hi@nimbus.example", "+34 600 000 001",
                                           "B64717838", "nimbus.example", "Cliente", "Madrid"]]),
                               admin_user)
    line = lines(workspace)[2]
    assert line["f"] == "create" and state["counts"]["create"] == 1
    assert line["set"]["company"] == {"name": "Nimbus Labs", "email": "hi@nimbus.example",
                                      "phone": "+34 600 000 001", "legal_id": "B64717838",
                                      "website": "https://nimbus.example", "status": "client"}
    assert line["set"]["address"] == {"city": "Madrid"}


def test_an_existing_company_is_updated_by_legal_id_first(admin_user, make_company):
    same_id = make_company("Acme Logistics", legal_id="B-6471783 8", email="old@acme.example")
    make_company("Other", email="new@acme.example")
    workspace, _state = preview(csv_bytes([["ACME LOGISTICS SL", "new@acme.example", "", "b64717838",
                                            "", "", ""]]), admin_user, on_match="overwrite")
    line = lines(workspace)[2]
    assert line["f"] == "update" and line["m"] == same_id.id
    assert line["why"] == "Same legal ID (B64717838)"
    assert line["chg"]["email"] == ["old@acme.example", "new@acme.example"]
    assert line["chg"]["name"] == ["Acme Logistics", "ACME LOGISTICS SL"]


def test_by_default_a_match_only_fills_empty_fields_and_never_demotes_a_client(admin_user,
                                                                             make_company):
    make_company("Acme Logistics", status="client", legal_id="B64717838", email="old@acme.example")
    lead = make_company("Atlas", status="lead", legal_id="A58818501")
    workspace, _state = preview(csv_bytes([
        ["Acme Typo", "new@acme.example", "+34 911 222 333", "B64717838", "", "lead", ""],
        ["Atlas", "", "", "A58818501", "", "client", ""],
    ]), admin_user)
    found = lines(workspace)
    assert found[2]["f"] == "update"
    assert found[2]["chg"] == {"phone": [None, "+34 911 222 333"]}
    assert found[3]["chg"] == {"status": ["lead", "client"]} and found[3]["m"] == lead.id


def test_then_by_email_whatever_its_case(admin_user, make_company):
    company = make_company("Atlas Foods", email="Info@Atlas.example")
    workspace, _state = preview(csv_bytes([["Atlas Foods Iberia", "info@atlas.EXAMPLE", "+34 911 000 000",
                                            "", "", "", ""]]), admin_user)
    line = lines(workspace)[2]
    assert (line["f"], line["m"]) == ("update", company.id)
    assert line["why"].startswith("Same email")


def test_then_by_the_duplicate_scorer_with_its_reason_above_the_threshold(admin_user, make_company):
    company = make_company("Kestrel Analytics", phone="+34 912 345 678",
                           email="contact@kestrel.example")
    row = ["Kestrel Analytcis", "sales@kestrel.example", "912345678", "", "", "", "Bilbao"]
    # Bilbao fills the empty main address: the row has something new for the company.
    workspace, _state = preview(csv_bytes([row]), admin_user)
    line = lines(workspace)[2]
    assert (line["f"], line["m"]) == ("update", company.id)
    assert "Looks like it, score" in line["why"]
    assert "Similar name" in line["why"] and "Same phone" in line["why"]
    # The same row with a threshold above its score is a new company.
    workspace, _state = preview(csv_bytes([row]), admin_user, threshold=100)
    assert lines(workspace)[2]["f"] == "create"


def test_matches_are_skipped_when_the_user_only_creates(admin_user, make_company):
    make_company("Acme", legal_id="B64717838")
    workspace, state = preview(csv_bytes([["Acme", "", "", "B64717838", "", "", ""]]), admin_user,
                               on_match="skip")
    line = lines(workspace)[2]
    assert line["f"] == "skip" and "Same legal ID" in line["why"]


def test_rows_with_nothing_new_and_rows_repeated_in_the_file_are_skipped(admin_user, make_company):
    make_company("Acme", email="hello@acme.example")
    workspace, state = preview(csv_bytes([
        ["Acme", "hello@acme.example", "", "", "", "", ""],
        ["Borealis", "b@borealis.example", "", "", "", "", ""],
        ["BOREALIS S.L.", "", "", "", "", "", ""],
    ]), admin_user)
    found = lines(workspace)
    assert found[2]["f"] == "skip" and found[2]["why"].startswith("Nothing new")
    assert found[3]["f"] == "create"
    assert found[4]["f"] == "skip" and found[4]["why"] == "Same company as row 3 of this file"
    assert state["counts"] == {"create": 1, "update": 0, "skip": 2, "error": 0}


def test_errors_are_reported_per_cell_with_the_reason(admin_user):
    db.session.add(CustomFieldDefinition(key="partner_since", label="Partner since",
                                         field_type="date"))
    db.session.commit()
    headers = ["Name", "Email", "Status", "Partner since", "Phone", "Contact email"]
    workspace, state = preview(csv_bytes([
        ["Bad Mail", "not-an-email", "lead", "", "", ""],
        ["Bad Status", "", "VIP", "", "", ""],
        ["Bad Date", "", "", "12345", "", ""],
        ["", "nobody@nowhere.example", "", "", "", ""],
        ["Two Bad", "x@@y", "maybe", "31/12/2023", "call me", "also bad"],
        ["Good Date", "", "", "31/12/2023", "", ""],
    ], headers=headers), admin_user)
    found = lines(workspace)
    assert found[2]["err"] == {"Email": "“not-an-email” is not a valid email address."}
    assert found[3]["err"] == {"Status": "Unknown status “VIP”: use lead or client."}
    assert found[4]["err"] == {"Partner since": "Partner since: '12345' is not a date (YYYY-MM-DD)."}
    assert found[5]["err"] == {"Name": "A required value is missing: the company name."}
    assert set(found[6]["err"]) == {"Email", "Status", "Phone", "Contact email"}
    assert found[7]["f"] == "create" and found[7]["set"]["custom"] == {"partner_since": "2023-12-31"}
    assert state["counts"]["error"] == 5


def test_hostile_cells_are_errors_or_text_never_failures(admin_user):
    headers = ["Name", "Email", "Account manager", "Website"]
    workspace, state = preview(csv_bytes([
        ["x" * 300, "", "", ""],
        ["=cmd|' /C calc'!A0", "", "", ""],
        ["Nul\x00Byte", "", "nobody@example.com", "not a site"],
    ], headers=headers), admin_user)
    found = lines(workspace)
    assert found[2]["err"] == {"Name": "At most 200 characters (this one has 300)."}
    assert found[3]["f"] == "create" and found[3]["set"]["company"]["name"] == "=cmd|' /C calc'!A0"
    assert found[4]["err"] == {
        "Account manager": "No active user has the email or name “nobody@example.com”.",
        "Website": "“not a site” is not a web address."}


def test_the_preview_writes_nothing(admin_user, make_company):
    make_company("Acme", legal_id="B64717838")
    before = table_counts()
    preview(csv_bytes([["Acme", "new@acme.example", "", "B64717838", "", "", "Lyon"],
                       ["New One", "", "", "", "", "", ""]]), admin_user)
    assert table_counts() == before
    assert not db.session.new and not db.session.dirty


def test_an_update_adds_the_rows_contact_unless_it_is_there(admin_user, make_company):
    company = make_company("Acme", email="info@acme.example")
    db.session.add(Contact(company=company, first_name="Ana", last_name="Ruiz",
                           email="ana@acme.example"))
    db.session.commit()
    headers = ["Email", "First name", "Last name", "Contact email"]
    workspace, _state = preview(csv_bytes([["info@acme.example", "Ana", "Ruiz", "ANA@acme.example"]],
                                          headers=headers), admin_user)
    assert lines(workspace)[2]["f"] == "skip"
    workspace, _state = preview(csv_bytes([["info@acme.example", "Luis", "Paz", "luis@acme.example"]],
                                          headers=headers), admin_user)
    line = lines(workspace)[2]
    assert line["f"] == "update" and line["chg"] == {"contact": [None, "Luis Paz"]}
