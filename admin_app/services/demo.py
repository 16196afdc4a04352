"""Realistic, deterministic demo data, inserted in bulk so that 100,000 companies stay quick."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from stdnum.es import cif

from .. import clock
from ..extensions import db
from ..legal_ids import legal_id_check
from ..models import (
    Address, Company, Contact, CustomFieldDefinition, CustomFieldValue, Exchange, Invoice,
    InvoiceLine, NumberCounter, Opportunity, Order, OrderLine, Payment, Quote, QuoteLine, User,
)
from ..normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
from . import figures
from .demo_configuration import demo_configuration
from .pricing import document_totals, line_totals
from .snapshots import freeze_unfrozen
from .users import create_user, find_user_by_email, hash_password

PREFIXES = ["Acme", "Nordic", "Atlas", "Blue", "Cobalt", "Delta", "Evergreen", "Falcon", "Granite",
            "Helios", "Iberia", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orion",
            "Pinnacle", "Quartz", "Riverside", "Summit", "Terra", "Umbra", "Vertex", "Willow"]
SUFFIXES = ["Logistics", "Consulting", "Foods", "Systems", "Studio", "Builders", "Pharma",
            "Textiles", "Energy", "Media", "Robotics", "Analytics", "Travel", "Design", "Labs"]
FORMS = ["SL", "SAS", "SARL", "Ltd", "GmbH", "SA", ""]
FIRST = ["Ana", "Luis", "Marta", "Jorge", "Claire", "Hugo", "Emma", "Lucas", "Sofia", "Pablo",
         "Julie", "Marc", "Elena", "David", "Laura", "Omar", "Ines", "Tom", "Nora", "Raul"]
LAST = ["Garcia", "Martin", "Lopez", "Dubois", "Moreau", "Fernandez", "Smith", "Bernard", "Ruiz",
        "Petit", "Sanchez", "Laurent", "Navarro", "Roux", "Torres", "Muller", "Blanc", "Vidal"]
CITIES = [("Madrid", "28001", "Spain"), ("Barcelona", "08002", "Spain"),
          ("Valencia", "46001", "Spain"), ("Paris", "75002", "France"), ("Lyon", "69002", "France"),
          ("Lille", "59000", "France"), ("Lisbon", "1100-148", "Portugal"),
          ("Bordeaux", "33000", "France"), ("Sevilla", "41001", "Spain")]
STREETS = ["Calle Mayor", "Rue de la Paix", "Avenida Diagonal", "Boulevard Haussmann",
           "Gran Via", "Rue Victor Hugo", "Paseo de Gracia", "Rue du Commerce"]
JOBS = ["CEO", "CFO", "Purchasing manager", "Accountant", "Office manager", "CTO", "Sales director"]
PRODUCTS = [("Consulting day", Decimal("650.00")), ("Annual licence", Decimal("1200.00")),
            ("Support hour", Decimal("85.00")), ("Training session", Decimal("980.00")),
            ("Hardware kit", Decimal("349.99")), ("Setup fee", Decimal("150.00")),
            ("Monthly subscription", Decimal("49.90"))]
TAX_RATES = [Decimal("20.00"), Decimal("21.00"), Decimal("10.00"), Decimal("5.50"), Decimal("0.00")]
CHUNK = 500
# Past this many companies each one gets fewer addresses, contacts, exchanges and documents.
LIGHT_ABOVE = 200_000


class DemoAlreadyLoaded(RuntimeError):
    pass


# Reviewed (bandit B107): the documented demo login, printed by `seed-demo`; B311 below: seeded
# pseudo-randomness makes the demo data repeatable, it protects nothing.
def seed_demo(companies: int = 50, seed: int = 42, admin_email: str = "admin@example.com",  # nosec B107
              admin_password: str = "demo-admin-pass", today: date | None = None,
              whale: bool = False, progress=None, freeze_progress=None) -> dict[str, int]:
    """Insert demo users, configuration and `companies` companies with their history.

    Above LIGHT_ABOVE companies each gets a lighter history; `whale` adds one client with
    10,000 invoices and 50,000 exchanges; `progress(n)` is told of each batch of companies, then
    `freeze_progress(done, total)` of the documents frozen (snapshot and register)."""
    if db.session.scalar(select(func.count()).select_from(Company)):
        raise DemoAlreadyLoaded("Demo data not loaded: the database already holds companies.")
    rng = random.Random(seed)  # nosec B311
    today = today or clock.today()
    admin = find_user_by_email(admin_email) or create_user(
        admin_email, admin_password, role="admin", full_name="Demo Admin")
    users = [admin] + [_demo_user(name) for name in ("Sara Ortega", "Paul Girard", "Lea Costa")]
    stages = demo_configuration()
    counts = {"companies": 0, "invoices": 0, "payments": 0, "exchanges": 0, "open_orders": 0}
    numbers = {"quote": {}, "order": {}, "invoice": {}}
    light = companies > LIGHT_ABOVE
    for start in range(0, companies, CHUNK):
        batch = _company_batch(rng, start, min(CHUNK, companies - start), users, today)
        ids = list(db.session.scalars(
            insert(Company).returning(Company.id, sort_by_parameter_order=True), batch))
        _children(rng, ids, batch, users, stages, today, numbers, counts, light)
        counts["companies"] += len(ids)
        if progress is not None:
            progress(len(ids))
    if whale:
        from .demo_scale import seed_whale
        seed_whale(rng, users, today, numbers, counts, progress)
    _save_counters(numbers)
    db.session.flush()
    # Every issued document gets its snapshot and register record, as through the app.
    freeze_unfrozen(progress=freeze_progress)
    # Inserted in bulk (freezing sets the currency in bulk too), past the session's hooks:
    # balances and company figures from the rows, last.
    figures.refresh_all()
    return counts


def _demo_user(full_name: str) -> User:
    email = full_name.lower().replace(" ", ".") + "@example.com"
    existing = find_user_by_email(email)
    if existing:
        return existing
    user = User(email=email, full_name=full_name, role="user",
                password_hash=hash_password("demo-user-pass"))
    db.session.add(user)
    db.session.flush()
    return user


def _company_batch(rng, start, size, users, today) -> list[dict]:
    rows = []
    for i in range(start, start + size):
        name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)} {rng.choice(FORMS)}".strip()
        if i >= len(PREFIXES) * len(SUFFIXES) // 4:
            name = f"{name} {i}"
        slug = normalize_name(name).replace(" ", "-") or f"company-{i}"
        email = f"contact@{slug}.example"
        phone = f"+34 9{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
        legal_id = _cif(rng.randint(10000000, 99999999), wrong_check_digit=i % 40 == 7)
        created = datetime.combine(today - timedelta(days=rng.randint(30, 1500)), datetime.min.time())
        rows.append({
            "name": name, "status": "client" if rng.random() < 0.6 else "lead", "email": email,
            "phone": phone, "website": f"https://www.{slug}.example", "legal_id": legal_id,
            "account_manager_id": rng.choice(users).id if rng.random() < 0.8 else None,
            "comments": f"<p>Met at a trade fair in {rng.choice(CITIES)[0]}.</p>",
            "created_at": created, "updated_at": created,
            "name_key": normalize_name(name), "phone_key": normalize_phone(phone),
            "email_domain": email_domain(email), "legal_id_key": normalize_legal_id(legal_id),
            "legal_id_check": legal_id_check(legal_id),
        })
    return rows


def _cif(number: int, wrong_check_digit: bool) -> str:
    """A Spanish company CIF (B + 7 digits + control digit); one in forty has a wrong control,
    as real data has, for the data-quality page to find."""
    body = "B" + str(number)[:7]
    control = int(cif.calc_check_digits(body)[0])
    return body + str((control + 1) % 10 if wrong_check_digit else control)


def _children(rng, ids, batch, users, stages, today, numbers, counts, light=False) -> None:
    addresses, contacts, exchanges, opportunities, custom = [], [], [], [], []
    definitions = list(db.session.scalars(select(CustomFieldDefinition)))
    for company_id, company in zip(ids, batch):
        for n in range(1 if light else rng.choice([1, 1, 2, 3])):
            city, postal, country = rng.choice(CITIES)
            addresses.append({
                "company_id": company_id, "label": ["Head office", "Warehouse", "Billing"][n],
                "contact_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "line1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}", "postal_code": postal,
                "city": city, "country": country, "is_main": n == 0,
                "is_billing_default": n == 0, "is_delivery_default": n == 1,
                "is_quote_default": n == 0})
        for n in range(1 if light else rng.randint(1, 4)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append({
                "company_id": company_id, "first_name": first, "last_name": last,
                "email": f"{first}.{last}@{company['email'].split('@')[1]}".lower(),
                "job_title": rng.choice(JOBS), "phone": f"+34 6{rng.randint(10000000, 99999999)}",
                "is_billing_contact": n == 0, "created_at": company["created_at"]})
        for n in range(rng.randint(0, 2) if light else rng.randint(0, 12)):
            when = datetime.combine(today - timedelta(days=rng.randint(0, 400)),
                                    datetime.min.time()) + timedelta(hours=rng.randint(8, 18))
            kind = rng.choice(["call", "call", "meeting", "email", "note"])
            callback = when + timedelta(days=rng.randint(2, 20)) if kind == "call" and rng.random() < 0.3 else None
            # Most call-backs that fell due long ago were made; a few were forgotten.
            callback_done = (callback + timedelta(hours=2) if callback and
                             callback.date() < today - timedelta(days=7) and rng.random() < 0.85
                             else None)
            exchanges.append({
                "company_id": company_id, "author_id": rng.choice(users).id, "kind": kind,
                "title": {"call": "Phone call", "meeting": "Meeting", "email": "Email sent",
                          "note": "Note"}[kind] + f" about {rng.choice(PRODUCTS)[0].lower()}",
                "body": "Discussed needs and next steps.", "occurred_at": when,
                "callback_at": callback, "callback_done_at": callback_done, "starts_at": when if kind == "meeting" else None,
                "ends_at": when + timedelta(hours=1) if kind == "meeting" else None,
                "send_invitation": False, "email_status": "sent" if kind == "email" else None,
                "created_at": when})
        for _ in range(rng.choice([0, 0, 1, 2])):
            stage = rng.choice(stages)
            status = rng.choice(["open", "open", "open", "won", "lost"])
            opportunities.append({
                "company_id": company_id, "title": f"{rng.choice(PRODUCTS)[0]} project",
                "amount": Decimal(rng.randint(5, 400) * 100), "stage_id": stage.id,
                "probability": stage.probability, "status": status,
                "expected_close_on": today + timedelta(days=rng.randint(-30, 120)),
                "closed_on": today - timedelta(days=rng.randint(1, 60)) if status != "open" else None,
                "owner_id": rng.choice(users).id, "created_at": company["created_at"]})
        for definition in definitions:
            if rng.random() < 0.5:
                custom.append({"company_id": company_id, "definition_id": definition.id,
                               "value": _custom_value(rng, definition, today)})
    for model, rows in ((Address, addresses), (Contact, contacts), (Exchange, exchanges),
                        (Opportunity, opportunities), (CustomFieldValue, custom)):
        if rows:
            db.session.execute(insert(model), rows)
    counts["exchanges"] += len(exchanges)
    clients = [(cid, c) for cid, c in zip(ids, batch) if c["status"] == "client"]
    _sales(rng, clients, users, today, numbers, counts, light)


def _custom_value(rng, definition, today) -> str:
    if definition.field_type == "number":
        return str(rng.randint(2, 900))
    if definition.field_type == "date":
        return (today - timedelta(days=rng.randint(100, 3000))).isoformat()
    if definition.field_type == "boolean":
        return rng.choice(["true", "false"])
    return rng.choice(definition.choices.splitlines())


def _lines(rng) -> list[dict]:
    lines = []
    for position in range(rng.randint(1, 4)):
        product, price = rng.choice(PRODUCTS)
        quantity = Decimal(rng.choice([1, 1, 2, 3, 5, 10]))
        rate = rng.choice(TAX_RATES)
        totals = line_totals(quantity, price, rate)
        lines.append({"position": position, "description": product, "quantity": quantity,
                      "unit_price": price, "tax_rate": rate, "total_excl_tax": totals.excl_tax,
                      "total_tax": totals.tax})
    return lines


def _totals(lines) -> dict:
    from .pricing import Totals
    totals = document_totals(Totals(l["total_excl_tax"], l["total_tax"]) for l in lines)
    return {"total_excl_tax": totals.excl_tax, "total_tax": totals.tax,
            "total_incl_tax": totals.incl_tax}


def _next_number(numbers, kind: str, year: int) -> str:
    prefix = {"quote": "QUO", "order": "ORD", "invoice": "INV"}[kind]
    numbers[kind][year] = numbers[kind].get(year, 0) + 1
    return f"{prefix}-{year}-{numbers[kind][year]:04d}"


def _sales(rng, clients, users, today, numbers, counts, light=False) -> None:
    """Quotes, orders, invoices and payments of a batch of clients, a few statements in all."""
    quotes, accepted, invoices, payments = [], [], [], []
    for company_id, _company in clients:
        author = rng.choice(users).id
        for _ in range(rng.randint(0, 2)):
            issued = today - timedelta(days=rng.randint(0, 200))
            lines = _lines(rng)
            status = rng.choice(["draft", "sent", "accepted", "refused", "expired"])
            quotes.append(({
                "company_id": company_id,
                # Like the app: a quote gets its number when it is sent, never as a draft.
                "number": None if status == "draft" else _next_number(numbers, "quote", issued.year),
                "status": status, "issue_date": issued, "valid_until": issued + timedelta(days=30),
                "created_by_id": author, **_totals(lines)}, lines))
            if status == "accepted":
                accepted.append((len(quotes) - 1, {
                    "company_id": company_id, "number": _next_number(numbers, "order", issued.year),
                    "status": rng.choice(["open", "invoiced"]), "order_date": issued,
                    "created_by_id": author, **_totals(lines)}, lines))
        for _ in range(rng.randint(0, 2) if light else rng.randint(0, 8)):
            row, lines, paid = _invoice(rng, company_id, author, today, numbers)
            invoices.append((row, lines))
            payments.append(paid)
    quote_ids = _insert_documents(Quote, QuoteLine, "quote_id", quotes)
    orders = [(dict(row, quote_id=quote_ids[i]), lines) for i, row, lines in accepted]
    order_ids = _insert_documents(Order, OrderLine, "order_id", orders)
    from .demo_scale import partly_invoiced
    for order_id, (order, lines) in zip(order_ids, orders):
        if order["status"] == "open":
            counts["open_orders"] += 1
            if len(lines) > 1 and rng.random() < 0.5:  # invoiced in part: still pending
                invoices.append(partly_invoiced(order_id, order, lines, today, numbers))
                payments.append([])
    invoice_ids = _insert_documents(Invoice, InvoiceLine, "invoice_id", invoices)
    payment_rows = [dict(p, invoice_id=invoice_id)
                    for invoice_id, paid in zip(invoice_ids, payments) for p in paid]
    if payment_rows:
        db.session.execute(insert(Payment), payment_rows)
    counts["invoices"] += len(invoice_ids)
    counts["payments"] += len(payment_rows)


def _insert_documents(model, line_model, parent_key: str, documents: list) -> list[int]:
    """Insert (row, lines) pairs: every row in one statement, then every line in another."""
    if not documents:
        return []
    ids = list(db.session.scalars(
        insert(model).returning(model.id, sort_by_parameter_order=True),
        [row for row, _lines in documents]))
    db.session.execute(insert(line_model), [
        dict(line, **{parent_key: doc_id}) for doc_id, (_row, lines) in zip(ids, documents)
        for line in lines])
    return ids


def _invoice(rng, company_id, author, today, numbers) -> tuple[dict, list, list]:
    """An invoice row, its lines and its payments (partial, complete, none; some overdue)."""
    issued = today - timedelta(days=rng.randint(0, 420))
    due = issued + timedelta(days=rng.choice([15, 30, 45, 60]))
    status = rng.choices(["issued", "draft", "cancelled"], weights=[85, 8, 7])[0]
    lines = _lines(rng)
    totals = _totals(lines)
    payments, paid_on = [], None
    if status == "issued":
        fate = rng.random()
        if (today - issued).days > 120 and rng.random() < 0.8:
            fate = 0.0  # old invoices are mostly settled
        total = totals["total_incl_tax"]
        if fate < 0.6:  # paid in full, sometimes in two instalments
            if rng.random() < 0.3 and total > Decimal("1.00"):
                first = (total / 2).quantize(Decimal("0.01"))
                payments = [(first, issued + timedelta(days=rng.randint(5, 20))),
                            (total - first, issued + timedelta(days=rng.randint(21, 70)))]
            else:
                payments = [(total, issued + timedelta(days=rng.randint(1, 70)))]
        elif fate < 0.8 and total > Decimal("1.00"):  # partly paid
            payments = [((total * Decimal("0.4")).quantize(Decimal("0.01")),
                         issued + timedelta(days=rng.randint(5, 40)))]
        payments = [(a, min(d, today)) for a, d in payments]
        if payments and sum(a for a, _ in payments) == total:
            paid_on = max(d for _, d in payments)
    row = {
        "company_id": company_id, "status": status, "issue_date": issued, "due_date": due,
        "number": None if status == "draft" else _next_number(numbers, "invoice", issued.year),
        "issued_at": None if status == "draft" else datetime.combine(issued, datetime.min.time()),
        "cancelled_at": datetime.combine(issued, datetime.min.time()) + timedelta(days=3)
        if status == "cancelled" else None,
        "paid_on": paid_on, "created_by_id": author, **totals}
    paid = [{"amount": a, "paid_on": d, "created_by_id": author,
             "method": rng.choice(["transfer", "card", "cheque"])} for a, d in payments]
    return row, lines, paid


def _save_counters(numbers) -> None:
    for kind, years in numbers.items():
        for year, last in years.items():
            counter = db.session.get(NumberCounter, (kind, year))
            if counter is None:
                db.session.add(NumberCounter(kind=kind, year=year, last_value=last))
            else:
                counter.last_value = max(counter.last_value, last)
