"""Column mapping: guessed from English, Spanish and French headers, remembered once imported."""
import pytest

from admin_app.extensions import db
from admin_app.models import CustomFieldDefinition
from admin_app.services.imports.mapping import field_labels, guess_mapping, remembered_mapping
from tests.import_helpers import csv_bytes, preview, run_import


@pytest.mark.parametrize("headers, expected", [
    (["Name", "Email", "Phone", "Legal ID", "Website", "Status", "City"],
     ["name", "email", "phone", "legal_id", "website", "status", "city"]),
    (["Razón social", "Correo electrónico", "Teléfono", "NIF", "Sitio web", "Estado", "Ciudad"],
     ["name", "email", "phone", "legal_id", "website", "status", "city"]),
    (["Raison sociale", "Courriel", "Téléphone", "SIRET", "Site web", "Statut", "Ville"],
     ["name", "email", "phone", "legal_id", "website", "status", "city"]),
    (["Company name", "E-mail", "Tel.", "VAT number", "URL", "Type", "Town"],
     ["name", "email", "phone", "vat_number", "website", "status", "city"]),
    (["Empresa", "NIF", "NIF-IVA", "Número de IVA"],
     ["name", "legal_id", "vat_number", None]),
    (["Société", "SIREN", "Numéro de TVA"], ["name", "legal_id", "vat_number"]),
    (["Société", "TVA intracommunautaire"], ["name", "vat_number"]),
    (["name", "vat_number"], ["name", "vat_number"]),
    (["Empresa", "CIF", "Código postal", "Dirección", "País"],
     ["name", "legal_id", "postal_code", "line1", "country"]),
    (["Société", "SIREN", "Code postal", "Adresse", "Pays"],
     ["name", "legal_id", "postal_code", "line1", "country"]),
])
def test_headers_are_mapped_without_help_in_three_languages(headers, expected):
    assert guess_mapping(headers, []) == expected


def test_a_persons_name_next_to_a_company_name_is_the_contacts():
    assert guess_mapping(["Razón social", "Nombre", "Apellidos", "Cargo"], []) == [
        "name", "contact_first_name", "contact_last_name", "contact_job_title"]
    assert guess_mapping(["Raison sociale", "Prénom", "Nom", "Fonction"], []) == [
        "name", "contact_first_name", "contact_last_name", "contact_job_title"]
    # Alone, "Nombre" and "Nom" are the company's name.
    assert guess_mapping(["Nombre", "NIF"], []) == ["name", "legal_id"]
    assert guess_mapping(["Nom", "SIRET"], []) == ["name", "legal_id"]


def test_unknown_and_repeated_headers_are_ignored_not_doubled():
    assert guess_mapping(["Email", "Mail", "Shoe size", "", "x" * 300], []) == [
        "email", None, None, None, None]


def test_custom_fields_are_mapped_by_label_or_key():
    definitions = [CustomFieldDefinition(key="industry", label="Sector", field_type="text")]
    assert guess_mapping(["Name", "Sector", "industry"], definitions) == [
        "name", "custom:industry", None]


def test_the_confirmed_mapping_is_remembered_for_the_same_headers(admin_user):
    headers = ["Raison sociale", "Code client", "Ville"]
    content = csv_bytes([["Acme", "C-1", "Lyon"]], headers=headers)
    workspace, state = preview(content, admin_user, mapping=["name", "comments", "city"])
    assert state["mapping_source"] == "edited"
    run_import(workspace, admin_user)
    assert remembered_mapping(headers, field_labels()) == ["name", "comments", "city"]
    _again, state = preview(csv_bytes([["Beta", "C-2", "Nice"]], headers=headers), admin_user)
    assert state["mapping"] == ["name", "comments", "city"]
    assert state["mapping_source"] == "remembered"


def test_a_preview_alone_remembers_nothing(admin_user):
    headers = ["Raison sociale", "Code client"]
    preview(csv_bytes([["Acme", "C-1"]], headers=headers), admin_user,
            mapping=["name", "comments"])
    assert remembered_mapping(headers, field_labels()) is None
    db.session.rollback()
