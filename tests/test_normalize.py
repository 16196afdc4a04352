from admin_app.normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone


def test_legal_forms_accents_and_abbreviation_dots_do_not_change_a_name():
    assert normalize_name("ACME S.L.") == normalize_name("Acme SL") == "acme"
    assert normalize_name("Société Générale S.A.") == "societe generale"
    assert normalize_name("The Company") == "the company"  # all legal words: keep them


def test_phone_keeps_the_national_number_whatever_the_prefix():
    assert normalize_phone("+34 912 345 678") == normalize_phone("0034-912-345-678") == "912345678"
    assert normalize_phone("") == ""


def test_free_mail_domains_identify_nobody():
    assert email_domain("ana@gmail.com") == ""
    assert email_domain("Ana@ACME.example") == "acme.example"
    assert email_domain("not-an-email") == ""


def test_legal_id_ignores_case_and_separators():
    assert normalize_legal_id("b-1234 5678") == "B12345678"
