from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import (
    Address, Company, Contact, Exchange, Invoice, NumberCounter, Payment, User,
)
from admin_app.services.users import verify_password


def test_create_user_command_creates_an_admin_who_can_log_in(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "Boss@Example.com", "--password", "long-enough-pass", "--role", "admin"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin" and verify_password(user, "long-enough-pass")


def test_create_user_command_refuses_a_duplicate_and_a_short_password(app, admin_user):
    runner = app.test_cli_runner()
    duplicate = runner.invoke(args=["create-user", admin_user.email, "--password", "long-enough"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["create-user", "new@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_seed_demo_loads_realistic_data_and_prints_the_login(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--companies", "30", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Log in with admin@example.com" in result.output
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Company) == 30
    assert count(Address) >= 30 and count(Contact) >= 30 and count(Exchange) > 30
    assert count(Invoice) > 10 and count(Payment) > 5
    statuses = set(db.session.scalars(select(Company.status)))
    assert statuses == {"lead", "client"}
    invoice_statuses = set(db.session.scalars(select(Invoice.status)))
    assert {"issued", "draft"} <= invoice_statuses
    assert db.session.scalar(select(func.count()).select_from(NumberCounter)) > 0
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    assert admin.role == "admin" and verify_password(admin, "demo-admin-pass")


def test_seed_demo_has_overdue_partly_paid_and_fully_paid_invoices(app):
    app.test_cli_runner().invoke(args=["seed-demo", "--companies", "50"])
    invoices = db.session.scalars(select(Invoice).where(Invoice.status == "issued")).all()
    assert any(i.paid_on is not None for i in invoices)
    assert any(i.payments and i.paid_on is None for i in invoices)
    assert any(not i.payments for i in invoices)


def test_seed_demo_is_repeatable_with_the_same_seed(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", "--companies", "12", "--seed", "3"])
    first = db.session.execute(select(Company.name, Company.status).order_by(Company.id)).all()
    totals = db.session.scalars(select(Invoice.total_incl_tax).order_by(Invoice.id)).all()
    from tests.conftest import _empty_all_tables
    db.session.remove()
    _empty_all_tables()
    runner.invoke(args=["seed-demo", "--companies", "12", "--seed", "3"])
    assert db.session.execute(select(Company.name, Company.status).order_by(Company.id)).all() == first
    assert db.session.scalars(select(Invoice.total_incl_tax).order_by(Invoice.id)).all() == totals


def test_seed_demo_leaves_a_loaded_database_alone(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo", "--companies", "5"])
    result = runner.invoke(args=["seed-demo", "--companies", "5"])
    assert result.exit_code == 0 and "already holds companies" in result.output
    assert db.session.scalar(select(func.count()).select_from(Company)) == 5
