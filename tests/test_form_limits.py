"""Every text input bound to a String(n) column says its maximum, stops the browser there, and
the server refuses more with a message that names it: admin forms, their inline rows, and the
forms opened from the client card."""
import inspect

from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import InlineModelFormList
from sqlalchemy import String, func, select
from wtforms import StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from admin_app.admin import card_forms
from admin_app.extensions import db
from admin_app.models import Address, Company, Contact, Document, Exchange

CARD_FORMS = {card_forms.AddressForm: Address, card_forms.ContactForm: Contact,
              card_forms.ExchangeForm: Exchange, card_forms.DocumentForm: Document}


def _bounded_fields(form_class, model):
    """(model, field name, n, unbound field) for each text input of a String(n) column, inline
    forms included."""
    for name, unbound in inspect.getmembers(form_class, lambda v: isinstance(v, UnboundField)):
        if issubclass(unbound.field_class, InlineModelFormList):
            yield from _bounded_fields(unbound.args[0], unbound.args[2])
            continue
        column = model.__table__.columns.get(name)
        typed = issubclass(unbound.field_class, StringField)  # not a choice list or a file
        if typed and column is not None and isinstance(column.type, String) and column.type.length:
            yield model, name, column.type.length, unbound


def _problems(form_class, model) -> list[str]:
    problems = []
    for owner, name, limit, unbound in _bounded_fields(form_class, model):
        lengths = [v for v in unbound.kwargs.get("validators") or () if isinstance(v, Length)]
        if not lengths or min(v.max for v in lengths) != limit:
            problems.append(f"{owner.__name__}.{name}: no Length(max={limit})")
        if f"{limit} characters" not in str(unbound.kwargs.get("description") or ""):
            problems.append(f"{owner.__name__}.{name}: the maximum ({limit}) is not said")
    return problems


def test_every_admin_and_card_text_input_states_and_enforces_its_column_length(app):
    problems, checked = [], 0
    with app.test_request_context():
        for view in app.extensions["admin"][0]._views:
            if isinstance(view, ModelView) and (view.can_create or view.can_edit):
                for form_class in (view.get_create_form(), view.get_edit_form()):
                    checked += len(list(_bounded_fields(form_class, view.model)))
                    problems += _problems(form_class, view.model)
        for form_class, model in CARD_FORMS.items():
            checked += len(list(_bounded_fields(form_class, model)))
            problems += _problems(form_class, model)
    assert checked > 50
    assert not problems, "\n".join(sorted(set(problems)))


def test_a_300_character_company_name_is_refused_with_the_maximum_named(admin_client):
    form = admin_client.get("/admin/company/new/").get_data(as_text=True)
    assert 'maxlength="200"' in form and "Up to 200 characters." in form
    response = admin_client.post("/admin/company/new/", data={"name": "N" * 300,
                                                             "status": "lead"})
    assert "200 characters at most: this one has 300." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0


def test_an_inline_contact_name_too_long_is_refused_with_the_maximum_named(admin_client):
    response = admin_client.post("/admin/company/new/", data={
        "name": "Acme", "status": "lead", "contacts-0-last_name": "L" * 101})
    assert "100 characters at most: this one has 101." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0


def test_a_card_form_refuses_a_too_long_value_with_the_maximum_named(admin_client, make_company):
    company = make_company("Acme")
    url = f"/admin/company/card/contact/?id={company.id}"
    form = admin_client.get(url).get_data(as_text=True)
    assert 'maxlength="100"' in form and "Up to 100 characters." in form
    response = admin_client.post(url, data={"last_name": "L" * 101})
    assert "100 characters at most: this one has 101." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
