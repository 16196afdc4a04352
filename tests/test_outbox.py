"""The outbox: nothing is lost when the SMTP server is down or refuses, retries deliver exactly
once, messages become .eml files without a mail server, and the RQ path delivers on a worker."""
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path


from admin_app.delivery import deliver, retry_due
from admin_app.extensions import db
from admin_app.models import Exchange, OutboxMessage
from admin_app.models.base import utcnow

from tests.db_faults import collision_at
from tests.mail_support import add_contacts, post_email


def _card(client, company) -> str:
    return client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)


def _send(client, company, contact, title="Offer"):
    return post_email(client, company, contact=str(contact.id), title=title, body="<p>Hi</p>")


def test_smtp_down_keeps_the_email_failed_and_a_retry_delivers_it_exactly_once(
        app, admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    smtp_server.stop()  # nothing listens on the port any more
    response = _send(admin_client, company, billing)
    assert "could not be sent" in response.get_data(as_text=True)
    exchange = db.session.query(Exchange).one()
    row = db.session.query(OutboxMessage).one()
    assert exchange.email_status == "failed" and "ConnectionRefusedError" in exchange.send_error
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at > utcnow()
    card = _card(admin_client, company)
    assert 'data-email-status="failed"' in card and "ConnectionRefusedError" in card
    assert 'data-action="retry-email"' in card

    smtp_server.start()
    response = admin_client.post(f"/admin/company/card/email/retry/?id={company.id}",
                                 data={"exchange": str(exchange.id)}, follow_redirects=True)
    assert "Email sent to bea@client.example." in response.get_data(as_text=True)
    assert len(smtp_server.by_message_id(row.message_id)) == 1
    # Retrying again, by the button, the CLI pass or a second worker, sends nothing more.
    response = admin_client.post(f"/admin/company/card/email/retry/?id={company.id}",
                                 data={"exchange": str(exchange.id)}, follow_redirects=True)
    assert "already sent; it is not sent twice" in response.get_data(as_text=True)
    db.session.expire_all()
    row.next_attempt_at = utcnow() - timedelta(minutes=1)
    assert deliver(row.id) == "sent" and deliver(row.id, manual=True) == "sent"
    assert retry_due() == {}
    assert len(smtp_server.by_message_id(row.message_id)) == 1
    assert db.session.get(Exchange, exchange.id).email_status == "sent"


def test_a_refusing_server_shows_its_answer_and_automatic_retries_back_off_to_a_limit(
        app, admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    smtp_server.refuse = "451 4.3.0 Mailbox temporarily unavailable"
    _send(admin_client, company, billing)
    row = db.session.query(OutboxMessage).one()
    assert row.status == "failed"
    assert row.last_error == "451 4.3.0 Mailbox temporarily unavailable"
    assert "451 4.3.0 Mailbox temporarily unavailable" in _card(admin_client, company)
    waits = []
    for _attempt in range(app.config["OUTBOX_MAX_ATTEMPTS"] - 1):
        waits.append(row.next_attempt_at - utcnow())
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert retry_due() == {row.id: "failed"}
        db.session.refresh(row)
    assert all(later > earlier for earlier, later in zip(waits, waits[1:]))  # backoff doubles
    assert row.attempts == app.config["OUTBOX_MAX_ATTEMPTS"] and row.next_attempt_at is None
    assert retry_due() == {} and smtp_server.messages == []
    smtp_server.refuse = None
    assert deliver(row.id, manual=True) == "sent"  # the Retry button goes past the limit
    assert len(smtp_server.messages) == 1


def test_a_queued_message_whose_delivery_never_ran_is_picked_up_by_the_retry_pass(
        app, admin_client, make_company, smtp_server, admin_user):
    from admin_app.services.exchange_mail import EmailValues, send_email
    company = make_company()
    billing, _o, _s = add_contacts(company)
    _exchange, [outbox_id] = send_email(company, admin_user,
                                        EmailValues(contact_id=billing.id, title="T", body="B"))
    db.session.commit()  # committed, but the process "stopped" before delivering
    row = db.session.get(OutboxMessage, outbox_id)
    assert row.status == "queued" and retry_due() == {}  # within its grace period
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert retry_due() == {outbox_id: "sent"} and len(smtp_server.messages) == 1


def test_without_a_mail_server_messages_are_eml_files_listed_in_the_outbox(
        app, admin_client, make_company):
    assert not app.config["MAIL_SERVER"]
    company = make_company()
    billing, _o, _s = add_contacts(company)
    response = _send(admin_client, company, billing, title="Demo mail")
    assert "Email sent to bea@client.example." in response.get_data(as_text=True)
    row = db.session.query(OutboxMessage).one()
    path = Path(app.config["OUTBOX_DIR"]) / f"{row.id:08d}.eml"
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Demo mail" and message["To"] == "bea@client.example"
    assert row.status == "sent"
    page = admin_client.get("/admin/outbox/").get_data(as_text=True)
    assert f'data-outbox-id="{row.id}"' in page and "bea@client.example" in page
    opened = admin_client.get(f"/admin/outbox/message/?id={row.id}")
    assert opened.status_code == 200 and opened.data == path.read_bytes()
    assert opened.mimetype == "message/rfc822"
    path.unlink()


def test_the_outbox_page_is_for_admins_and_answers_junk_ids_with_404(
        user_client, admin_client):
    assert user_client.get("/admin/outbox/").status_code == 403
    assert admin_client.get("/admin/outbox/").status_code == 200
    assert "No email has been sent yet" in admin_client.get("/admin/outbox/").get_data(
        as_text=True)
    for junk in ("abc", "9" * 40, "-1", "1\x00"):
        assert admin_client.get(f"/admin/outbox/message/?id={junk}").status_code == 404
    assert admin_client.post("/admin/outbox/retry/", data={"id": "x"}).status_code == 404
    assert admin_client.get("/admin/outbox/?status=<script>&page=99999999999999").status_code \
        == 200


def test_the_outbox_retry_button_sends_a_failed_message(admin_client, make_company,
                                                        smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    smtp_server.refuse = "554 5.7.1 Rejected"
    _send(admin_client, company, billing)
    row = db.session.query(OutboxMessage).one()
    page = admin_client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "554 5.7.1 Rejected" in page
    smtp_server.refuse = None
    response = admin_client.post("/admin/outbox/retry/", data={"id": str(row.id)},
                                 follow_redirects=True)
    assert f"Message #{row.id} sent." in response.get_data(as_text=True)
    assert len(smtp_server.messages) == 1


def test_the_outbox_command_lists_and_retries(app, admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    smtp_server.refuse = "451 Later"
    _send(admin_client, company, billing, title="From the CLI")
    row = db.session.query(OutboxMessage).one()
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["outbox"])
    assert f"#{row.id} failed" in listing.output and "451 Later" in listing.output
    smtp_server.refuse = None
    result = runner.invoke(args=["outbox", "--retry-id", str(row.id)])
    assert f"#{row.id}: sent" in result.output
    assert "No message waiting or failed." in runner.invoke(args=["outbox"]).output
    assert len(smtp_server.messages) == 1


def test_with_rq_the_request_only_queues_and_the_worker_delivers(
        app, admin_client, make_company, smtp_server, redis_url):
    from rq import SimpleWorker
    from admin_app.services.jobs import rq_queue
    app.config["RQ_REDIS_URL"] = redis_url
    try:
        queue = rq_queue()
        queue.empty()
        company = make_company()
        billing, _o, _s = add_contacts(company)
        response = _send(admin_client, company, billing, title="Via RQ")
        assert "queued for sending" in response.get_data(as_text=True)
        assert smtp_server.messages == [] and queue.count == 1
        assert db.session.query(OutboxMessage).one().status == "queued"
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert [m["Subject"] for m in smtp_server.messages] == ["Via RQ"]
        db.session.expire_all()
        assert db.session.query(OutboxMessage).one().status == "sent"
        assert db.session.query(Exchange).one().email_status == "sent"
    finally:
        app.config["RQ_REDIS_URL"] = None


def test_the_worker_command_says_when_rq_is_not_configured(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "RQ_REDIS_URL is not set" in result.output


def test_on_rq_a_failed_delivery_is_scheduled_for_its_retry(
        app, admin_client, make_company, smtp_server, redis_url):
    from rq import SimpleWorker
    from rq.registry import ScheduledJobRegistry
    from admin_app.services.jobs import rq_queue
    app.config["RQ_REDIS_URL"] = redis_url
    try:
        queue = rq_queue()
        queue.empty()
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
        company = make_company()
        billing, _o, _s = add_contacts(company)
        smtp_server.refuse = "451 Try later"
        _send(admin_client, company, billing, title="Retry on RQ")
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        row = db.session.query(OutboxMessage).one()
        assert row.status == "failed" and row.last_error == "451 Try later"
        [job_id] = registry.get_job_ids()
        scheduled = registry.get_scheduled_time(job_id)
        assert abs((scheduled.replace(tzinfo=None) - row.next_attempt_at).total_seconds()) < 2
        registry.remove(job_id, delete_job=True)
    finally:
        app.config["RQ_REDIS_URL"] = None


def test_a_delivery_whose_claim_and_result_collide_runs_them_again_and_sends_once(
        app, admin_client, make_company, smtp_server):
    """The claim and the recorded result each aborted once as a deadlock's loser (say, the card
    saving the same exchange at that moment): both run again, the message goes out once and
    shows as sent, its attempt counted once."""
    company = make_company()
    billing, _o, _s = add_contacts(company)
    collided = set()

    def first_claim_and_first_result(statement: str) -> bool:
        if not statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGES"):
            return False
        step = "result" if "sent_at" in statement else "claim"
        if step in collided:
            return False
        collided.add(step)
        return True
    with collision_at(first_claim_and_first_result, times=2) as hit:
        response = _send(admin_client, company, billing)
    assert hit["collided"] == 2 and collided == {"claim", "result"}
    assert "Email sent to bea@client.example." in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.query(OutboxMessage).one()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(smtp_server.by_message_id(row.message_id)) == 1
    assert db.session.query(Exchange).one().email_status == "sent"
