"""Opportunities (with the card's "+"), pipeline stages, the board, payments and the history page."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from admin_app.extensions import db
from admin_app.models import Invoice, Opportunity, Payment, PipelineStage
from admin_app.services.opportunities import stage_cards, stage_totals
from admin_app.services.sales import send_quote


def _stages():
    stages = [PipelineStage(name="Qualification", position=0, probability=10),
              PipelineStage(name="Proposal", position=1, probability=50)]
    db.session.add_all(stages)
    db.session.commit()
    return stages


def test_the_cards_plus_prefills_the_company_and_returns_to_the_card(user_client, make_company):
    _stages()
    company = make_company("Nordic Foods")
    card = f"/admin/company/card/?id={company.id}"
    form = user_client.get(f"/admin/opportunity/new/?company_id={company.id}&url={card}")
    html = form.get_data(as_text=True)
    assert "Nordic Foods" in html and f'value="{company.id}"' in html
    response = user_client.post(f"/admin/opportunity/new/?company_id={company.id}&url={card}",
                                data={"company": str(company.id), "title": "Renewal",
                                      "amount": "1200.00", "stage": "1", "status": "open"})
    assert response.status_code == 302 and response.location.endswith(card)
    opportunity = db.session.scalars(db.select(Opportunity)).one()
    assert opportunity.probability == 10  # the stage's default
    assert opportunity.amount == Decimal("1200.00")


def test_an_outside_return_url_is_ignored(user_client, make_company):
    company = make_company()
    response = user_client.post("/admin/opportunity/new/?url=https://evil.example/x",
                                data={"company": str(company.id), "title": "Deal",
                                      "amount": "10", "status": "open"})
    assert response.status_code == 302 and "evil.example" not in response.location


def test_won_and_lost_get_a_date_and_reopening_clears_it(admin_client, make_company):
    company = make_company()
    admin_client.post("/admin/opportunity/new/", data={
        "company": str(company.id), "title": "Deal", "amount": "10", "status": "won"})
    opportunity = db.session.scalars(db.select(Opportunity)).one()
    assert opportunity.closed_on == date.today()
    admin_client.post(f"/admin/opportunity/edit/?id={opportunity.id}", data={
        "company": str(company.id), "title": "Deal", "amount": "10", "status": "open"})
    db.session.expire_all()
    assert db.session.get(Opportunity, opportunity.id).closed_on is None


def test_a_negative_opportunity_amount_is_refused(admin_client, make_company):
    company = make_company()
    response = admin_client.post("/admin/opportunity/new/", data={
        "company": str(company.id), "title": "Deal", "amount": "-1", "status": "open"})
    assert "Must be 0 or more." in response.get_data(as_text=True)
    assert not db.session.scalars(db.select(Opportunity)).all()


def test_a_stage_in_use_cannot_be_deleted(admin_client, make_company):
    stage, _ = _stages()
    db.session.add(Opportunity(company=make_company(), title="Deal", amount=Decimal("1"),
                               stage=stage))
    db.session.commit()
    response = admin_client.post("/admin/pipelinestage/delete/", data={"id": stage.id},
                                 follow_redirects=True)
    assert "move them to another stage" in response.get_data(as_text=True)
    assert db.session.get(PipelineStage, stage.id) is not None


def test_stages_are_admin_editable(admin_client):
    response = admin_client.post("/admin/pipelinestage/new/",
                                 data={"name": "Closing", "position": "5", "probability": "90"})
    assert response.status_code == 302
    assert db.session.scalars(db.select(PipelineStage)).one().probability == 90
    bad = admin_client.post("/admin/pipelinestage/new/",
                            data={"name": "Bad", "position": "6", "probability": "150"})
    assert "Between 0 and 100." in bad.get_data(as_text=True)


def test_the_board_groups_open_opportunities_by_stage_with_totals(user_client, make_company):
    qualification, proposal = _stages()
    company = make_company()
    db.session.add_all([
        Opportunity(company=company, title="A", amount=Decimal("100.00"), stage=qualification),
        Opportunity(company=company, title="B", amount=Decimal("250.50"), stage=proposal,
                    probability=80),
        Opportunity(company=company, title="C", amount=Decimal("49.50"), stage=proposal),
        Opportunity(company=company, title="Lost one", amount=Decimal("999"), stage=proposal,
                    status="lost")])
    db.session.commit()
    html = user_client.get("/admin/pipeline/").get_data(as_text=True)
    assert 'data-stage="Proposal" data-count="2" data-amount="300.00"' in html
    assert 'data-total="weighted">€225.15' in html  # 250.50 × 80 % + 49.50 × 50 %
    assert "Lost one" not in html


def test_the_board_says_when_there_are_no_stages(user_client):
    assert "No pipeline stages yet" in user_client.get("/admin/pipeline/").get_data(as_text=True)


def test_payment_view_records_refuses_overpayment_and_deletes(admin_client, make_company,
                                                              make_invoice):
    invoice = make_invoice(make_company())  # 120.00
    ok = admin_client.post("/admin/payment/new/", data={
        "invoice": str(invoice.id), "amount": "100.00", "paid_on": "2026-05-02",
        "method": "transfer"})
    assert ok.status_code == 302
    over = admin_client.post("/admin/payment/new/", data={
        "invoice": str(invoice.id), "amount": "30.00", "paid_on": "2026-05-03",
        "method": "card"})
    assert "Overpayment refused" in over.get_data(as_text=True)
    admin_client.post("/admin/payment/new/", data={
        "invoice": str(invoice.id), "amount": "20.00", "paid_on": "2026-05-04", "method": "card"})
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_on == date(2026, 5, 4)
    last = db.session.scalars(db.select(Payment).order_by(Payment.id.desc())).first()
    assert admin_client.post("/admin/payment/delete/", data={"id": last.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_on is None


def test_payment_from_the_invoice_page(user_client, make_company, make_invoice):
    invoice = make_invoice(make_company())
    response = user_client.post("/admin/invoice/pay/", data={
        "id": invoice.id, "amount": "120,00", "paid_on": date.today().isoformat(),
        "method": "cheque"}, follow_redirects=True)
    assert "fully paid" in response.get_data(as_text=True)
    bad = user_client.post("/admin/invoice/pay/", data={"id": invoice.id, "amount": "x",
                                                        "paid_on": ""}, follow_redirects=True)
    assert "Enter the amount" in bad.get_data(as_text=True)


def test_sales_history_lists_everything_or_pending_only(user_client, make_company,
                                                        make_document, make_invoice):
    company = make_company()
    other = make_company("Other Co")
    paid = make_invoice(company, payments=[("120.00", date.today())])
    unpaid = make_invoice(company, payments=[("20.00", date.today())])
    draft_quote = make_document("quote", company)
    refused = make_document("quote", company)
    send_quote(refused)
    refused.status = "refused"
    make_document("order", company, number="ORD-H-1", status="closed")
    make_invoice(other)
    db.session.commit()
    html = user_client.get(f"/admin/sales-history/?company_id={company.id}").get_data(as_text=True)
    assert paid.number in html and unpaid.number in html and "ORD-H-1" in html
    assert 'data-kind="invoice" data-total="2"' in html
    pending = user_client.get(f"/admin/sales-history/?company_id={company.id}&pending=1")
    text = pending.get_data(as_text=True)
    assert unpaid.number in text and paid.number not in text and "ORD-H-1" not in text
    assert f'data-document="{draft_quote.id}"' in text and refused.number not in text
    assert 'data-kind="order" data-total="0"' in text and "No pending orders." in text
    assert user_client.get("/admin/sales-history/?company_id=999").status_code == 404


def test_pending_documents_service_matches_the_definitions(make_company, make_document,
                                                           make_invoice):
    from admin_app.services.sales_history import pending_documents
    company = make_company()
    make_invoice(company, payments=[("120.00", date.today())])  # paid: not pending
    make_invoice(company, status="cancelled")  # cancelled: not pending
    make_invoice(company, status="draft")  # draft: pending
    late = make_invoice(company, issue_date=date.today() - timedelta(days=60))  # balance: pending
    order = make_document("order", company, number="ORD-P-1")
    from admin_app.services.sales import invoice_order
    invoice_order(order, Decimal("50"))
    make_document("order", company, number="ORD-P-2", status="closed")
    db.session.commit()
    pending = pending_documents(company.id)
    assert {r.document.number for r in pending["invoice"].rows} == {late.number, None}
    assert [r.document.number for r in pending["order"].rows] == ["ORD-P-1"]
    assert pending["order"].rows[0].left == Decimal("50.00")
    assert {kind: page.total for kind, page in pending.items()} == \
        {"quote": 0, "order": 1, "invoice": 3}


def test_each_stage_shows_its_soonest_opportunities_then_the_undated_ones(
        make_company, admin_user, normal_user):
    qualification, proposal = _stages()
    company = make_company()
    start = date(2027, 1, 1)
    for n in range(7):
        for stage in (qualification, proposal, None):
            db.session.add(Opportunity(
                company=company, title=f"{stage.name if stage else 'none'} {n}", stage=stage,
                amount=Decimal("10.00"), owner_id=(admin_user if n % 2 else normal_user).id,
                expected_close_on=None if n % 3 == 0 else start + timedelta(days=(7 - n) % 4)))
    db.session.add(Opportunity(company=company, title="closed", amount=Decimal("1"),
                               stage=proposal, status="won", expected_close_on=start))
    db.session.commit()

    def expected(stage_id, owner_id=None):
        rows = [o for o in db.session.scalars(db.select(Opportunity)) if o.status == "open"
                and o.stage_id == stage_id and owner_id in (None, o.owner_id)]
        return [o.title for o in sorted(rows, key=lambda o: (
            o.expected_close_on is None, o.expected_close_on or date.min, o.id))]

    stage_ids = [qualification.id, proposal.id, None]
    for owner_id in (None, admin_user.id):
        for limit in (3, 10):
            cards = stage_cards(stage_ids, owner_id, limit)
            for stage_id in stage_ids:
                assert [o.title for o in cards[stage_id]] == expected(stage_id, owner_id)[:limit]
    totals = stage_totals()
    assert totals[proposal.id].count == 7 and totals[proposal.id].amount == Decimal("70.00")
    assert totals[proposal.id].weighted == Decimal("35.00")  # the stage's 50 %
    assert totals[None].weighted == Decimal("0")


def test_the_board_reads_each_stage_from_the_open_opportunities_index(
        user_client, make_company, is_postgres, analyze, capture_statements):
    stages = _stages()
    company = make_company()
    # Enough rows for the planners to prefer an index over reading the table, as at scale.
    db.session.execute(insert(Opportunity), [
        {"company_id": company.id, "title": f"O{n}", "amount": Decimal("1"),
         "stage_id": stages[n % 2].id, "status": ("open", "won", "lost")[n % 3],
         "expected_close_on": None if n % 7 == 0 else date(2027, 1, 1) + timedelta(days=n % 90)}
        for n in range(3000)])
    db.session.commit()
    analyze()
    with capture_statements() as seen:
        assert user_client.get("/admin/pipeline/").status_code == 200
    connection = db.session.connection()
    if is_postgres:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    prefix = "EXPLAIN " if is_postgres else "EXPLAIN QUERY PLAN "
    plans = ["\n".join(str(row[-1]) for row in connection.exec_driver_sql(prefix + s, p))
             for s, p in seen if "FROM opportunities" in s]
    db.session.rollback()
    # Every stage's cards at once; the totals come from the running tallies (migration 0025).
    assert len(plans) == 1, plans
    assert any("FROM pipeline_tallies" in s for s, _p in seen)
    cards = plans[0]
    # Each stage's dated and undated parts: read from the index in order, never sorted.
    assert cards.count("ix_opportunities_open_stage") >= 4, cards
    if is_postgres:
        assert "Seq Scan on opportunities" not in cards, plans
    else:
        assert "TEMP B-TREE FOR ORDER BY" not in cards, cards
