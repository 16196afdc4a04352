"""Emails sent from the card reach a real SMTP server: recipients, copies, parts, attachments,
internal copies; bad input is refused and nothing is sent."""
from admin_app.extensions import db
from admin_app.models import Exchange, OutboxMessage
from admin_app.services.settings import set_setting

from tests.mail_support import (
    add_contacts, add_document, add_template, email_url, parts, post_email,
)


def test_the_card_links_to_the_email_form_with_the_billing_contact_preselected(
        admin_client, make_company):
    company = make_company()
    billing, other, silent = add_contacts(company)
    card = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert f'href="{email_url(company)}" data-action="send-email"'.replace("?", "?") in card \
        or 'data-action="send-email"' in card
    html = admin_client.get(email_url(company)).get_data(as_text=True)
    assert f'<option selected value="{billing.id}">' in html
    assert f'value="{silent.id}"' not in html  # no email address: not offered


def test_an_email_reaches_the_smtp_server_with_copy_text_html_and_attachments(
        admin_client, make_company, smtp_server, admin_user):
    company = make_company()
    billing, other, _silent = add_contacts(company)
    card_doc = add_document(company, "offer.pdf", b"%PDF-1.4 offer \x00\xff\x10 bytes")
    shared = add_document(None, "brochure.pdf", b"%PDF shared brochure \x01\x02")
    response = post_email(admin_client, company, contact=str(billing.id), cc=[str(other.id)],
                          title="Your offer", body="<p>Hello <strong>Bea</strong></p>",
                          attachments=[str(card_doc.id), str(shared.id)],
                          upload=("notes.txt", b"new upload \xe2\x82\xac"))
    assert "Email sent to bea@client.example." in response.get_data(as_text=True)
    [message] = smtp_server.messages
    assert message["To"] == "bea@client.example" and message["Cc"] == "carl@client.example"
    assert sorted(message.envelope_to) == ["bea@client.example", "carl@client.example"]
    assert message["Subject"] == "Your offer"
    assert message["Reply-To"] == admin_user.email
    assert message["Message-ID"].startswith("<") and message["Date"]
    text, html, attachments, _cal = parts(message)
    assert "Hello Bea" in text and "<strong>Bea</strong>" in html
    assert attachments == {"offer.pdf": b"%PDF-1.4 offer \x00\xff\x10 bytes",
                           "brochure.pdf": b"%PDF shared brochure \x01\x02",
                           "notes.txt": b"new upload \xe2\x82\xac"}
    exchange = db.session.query(Exchange).one()
    assert exchange.kind == "email" and exchange.email_status == "sent" and exchange.sent_at
    assert len(exchange.attachments) == 3  # the upload is kept on the card too
    row = db.session.query(OutboxMessage).one()
    assert row.status == "sent" and row.message_id == message["Message-ID"]


def test_the_sender_comes_from_the_settings(admin_client, make_company, smtp_server):
    set_setting("mail_sender_name", "Our Company Sales")
    set_setting("mail_sender_email", "sales@our-company.example")
    db.session.commit()
    company = make_company()
    billing, _o, _s = add_contacts(company)
    post_email(admin_client, company, contact=str(billing.id), title="Hi", body="Plain body")
    [message] = smtp_server.messages
    assert message["From"] == "Our Company Sales <sales@our-company.example>"
    assert message.envelope_from == "sales@our-company.example"


def test_a_template_fills_subject_and_body_for_the_contact(admin_client, make_company,
                                                           smtp_server, admin_user):
    company = make_company(name="Globex")
    billing, _o, _s = add_contacts(company)
    template = add_template()
    page = admin_client.post(email_url(company), data={
        "fill_template": "1", "contact": str(billing.id), "email_template": str(template.id)})
    html = page.get_data(as_text=True)
    assert 'value="Hello Bea"' in html and "Dear Bea Billing of Globex" in html
    post_email(admin_client, company, contact=str(billing.id), email_template=str(template.id))
    [message] = smtp_server.messages
    text, body, _a, _c = parts(message)
    assert message["Subject"] == "Hello Bea"
    assert "Dear Bea Billing of Globex" in text and "Ada Admin" in body
    assert db.session.query(Exchange).one().email_template_id == template.id


def test_a_template_that_fails_is_refused_and_nothing_is_queued(admin_client, make_company,
                                                                smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    template = add_template(body="<p>{{ company.nmae }}</p>", name="Broken")
    response = post_email(admin_client, company, contact=str(billing.id),
                          email_template=str(template.id))
    assert "company has no variable &#39;nmae&#39;" in response.get_data(as_text=True)
    assert db.session.query(OutboxMessage).count() == 0
    assert db.session.query(Exchange).count() == 0 and smtp_server.messages == []


def test_line_breaks_in_the_subject_are_refused(admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    response = post_email(admin_client, company, contact=str(billing.id),
                          title="Hi\r\nBcc: victim@evil.example", body="x")
    assert "The subject cannot contain a line break." in response.get_data(as_text=True)
    assert db.session.query(OutboxMessage).count() == 0 and smtp_server.messages == []


def test_a_contact_address_with_a_line_break_is_refused(admin_client, make_company,
                                                        smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    billing.email = "bea@client.example\nBcc: victim@evil.example"
    db.session.commit()
    response = post_email(admin_client, company, contact=str(billing.id), title="Hi", body="x")
    assert "cannot contain a line break" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_another_companys_contact_or_document_is_refused(admin_client, make_company,
                                                        smtp_server):
    company, stranger = make_company(), make_company(name="Stranger")
    billing, _o, _s = add_contacts(company)
    their_contact, _x, _y = add_contacts(stranger)
    their_doc = add_document(stranger, "secret.pdf")
    response = post_email(admin_client, company, contact=str(their_contact.id), title="Hi",
                          body="x")
    assert "must be one of this company&#39;s contacts" in response.get_data(as_text=True)
    response = post_email(admin_client, company, contact=str(billing.id), title="Hi", body="x",
                          attachments=[str(their_doc.id)])
    assert "An attachment must be one of the card&#39;s documents" in \
        response.get_data(as_text=True)
    response = post_email(admin_client, company, contact=str(billing.id), title="Hi", body="x",
                          attachments=["9" * 40])
    assert "not valid" in response.get_data(as_text=True)
    assert smtp_server.messages == [] and db.session.query(Exchange).count() == 0


def test_attachments_over_the_size_limit_are_refused(admin_client, make_company, smtp_server):
    set_setting("upload_limit_mb", 1)
    db.session.commit()
    company = make_company()
    billing, _o, _s = add_contacts(company)
    big = add_document(company, "big.bin", b"x" * 700_000)
    bigger = add_document(company, "bigger.bin", b"y" * 700_000)
    response = post_email(admin_client, company, contact=str(billing.id), title="Hi", body="x",
                          attachments=[str(big.id), str(bigger.id)])
    assert "an email may carry up to" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_internal_copy_is_a_separate_message_only_when_the_setting_is_on(
        admin_client, make_company, smtp_server, make_user):
    colleague = make_user("colleague@our-company.example", full_name="Col League")
    company = make_company()
    billing, _o, _s = add_contacts(company)
    html = admin_client.get(email_url(company)).get_data(as_text=True)
    assert 'name="internal_recipients"' not in html
    response = post_email(admin_client, company, contact=str(billing.id), title="Hi", body="x",
                          internal_recipients=[str(colleague.id)])
    assert "Internal copies are turned off" in response.get_data(as_text=True)
    assert smtp_server.messages == []

    set_setting("send_exchange_internally", True)
    db.session.commit()
    assert 'name="internal_recipients"' in admin_client.get(email_url(company)).get_data(
        as_text=True)
    post_email(admin_client, company, contact=str(billing.id), title="Quarterly review",
               body="<p>Numbers</p>", internal_recipients=[str(colleague.id)])
    client_messages = [m for m in smtp_server.messages if "bea@client.example" in m.envelope_to]
    internal = [m for m in smtp_server.messages if m not in client_messages]
    assert len(client_messages) == 1 and len(internal) == 1
    assert "colleague@our-company.example" not in client_messages[0].as_string()
    assert internal[0].envelope_to == ["colleague@our-company.example"]
    assert internal[0]["Subject"] == "[Internal] Quarterly review"
    assert "bea@client.example" not in internal[0].envelope_to
    exchange = db.session.query(Exchange).one()
    assert [u.email for u in exchange.internal_recipients] == ["colleague@our-company.example"]


def test_no_contact_with_an_email_says_so_instead_of_a_form(admin_client, make_company):
    company = make_company()
    html = admin_client.get(email_url(company)).get_data(as_text=True)
    assert 'data-empty="no-recipient"' in html and "data-email-form" not in html


def test_the_email_form_needs_a_login(client, make_company):
    company = make_company()
    response = client.get(email_url(company))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_exchanges_list_leads_to_the_email_form_of_each_company(admin_client,
                                                                    make_company, admin_user):
    from admin_app.models.base import utcnow
    company = make_company("Listed Co")
    db.session.add(Exchange(company=company, author_id=admin_user.id, kind="call",
                            title="A call", occurred_at=utcnow()))
    db.session.commit()
    html = admin_client.get("/admin/exchange/").get_data(as_text=True)
    assert f'href="{email_url(company)}"' in html.replace("&amp;", "&")
    assert "Send an email to this company" in html


def test_hostile_subjects_and_ids_send_nothing(admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    for fields in ({"title": "x" * 300, "body": "b"}, {"title": "nul\x00byte", "body": "b"},
                   {"title": "=HYPERLINK(\"http://evil\")", "body": "b", "contact": "abc"},
                   {"title": "t", "body": "b", "email_template": "9" * 30},
                   {"title": "t", "body": "b", "cc": ["1\x00"]}):
        response = post_email(admin_client, company, **{"contact": str(billing.id), **fields})
        assert response.status_code in (200, 400, 404)
        assert "Email sent" not in response.get_data(as_text=True), fields
    assert smtp_server.messages == [] and db.session.query(Exchange).count() == 0
    assert admin_client.get("/admin/company/card/email/?id=" + "9" * 40).status_code == 404
