"""Which column of an import file fills which field: guessed from headers written in English,
Spanish or French, editable, and remembered for the next file with the same headers."""
import hashlib
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import CustomFieldDefinition, ImportMapping, User
from ...normalize import strip_accents
from ..custom_fields import active_definitions

CUSTOM_PREFIX = "custom:"

# Field → what a user reads in the mapping selector, grouped as the selector shows them.
COMPANY_FIELDS = {
    "name": _l("Company name"), "status": _l("Status (lead or client)"), "email": _l("Email"),
    "phone": _l("Phone"), "website": _l("Website"), "legal_id": _l("Legal ID (NIF, SIREN…)"),
    "vat_number": _l("VAT number"),
    "account_manager": _l("Account manager (user email or name)"), "comments": _l("Comments"),
}
ADDRESS_FIELDS = {
    "line1": _l("Address"), "line2": _l("Address line 2"), "postal_code": _l("Postal code"),
    "city": _l("City"), "country": _l("Country"),
}
CONTACT_FIELDS = {
    "contact_first_name": _l("Contact first name"), "contact_last_name": _l("Contact last name"),
    "contact_email": _l("Contact email"), "contact_phone": _l("Contact phone"),
    "contact_job_title": _l("Contact job title"),
}

# Header words (accent-free, lower-case, single-spaced) → fields, best first. A header whose
# first choice is taken by a stronger header takes its next one: "Nombre" next to
# "Razón social" is the contact's first name, alone it is the company's name.
SYNONYMS: dict[str, list[str]] = {}


def _add(fields: str | list[str], *phrases: str) -> None:
    for phrase in phrases:
        SYNONYMS[phrase] = [fields] if isinstance(fields, str) else fields


_add("name", "name", "company", "company name", "organisation", "organization", "account",
     "account name", "business name", "legal name", "client", "customer", "razon social",
     "empresa", "nombre empresa", "nombre de la empresa", "nombre comercial", "denominacion",
     "denominacion social", "sociedad", "cliente", "raison sociale", "societe", "entreprise",
     "nom de la societe", "nom de l entreprise", "nom entreprise", "denomination",
     "denomination sociale", "organisme")
_add(["name", "contact_first_name"], "nombre")
_add(["name", "contact_last_name"], "nom")
_add("status", "status", "state", "type", "lifecycle stage", "estado", "tipo", "statut",
     "etat")
_add("email", "email", "e mail", "mail", "email address", "company email", "correo",
     "correo electronico", "email empresa", "courriel", "adresse email", "adresse e mail",
     "adresse mail", "email entreprise", "e mail entreprise")
_add("phone", "phone", "phone number", "telephone", "tel", "company phone", "telefono",
     "telf", "tlf", "numero de telephone", "telephone entreprise", "tel entreprise",
     "telefono empresa")
_add("website", "website", "web site", "web", "site", "url", "homepage", "site web",
     "site internet", "sitio web", "pagina web", "web empresa")
_add("legal_id", "legal id", "legal_id", "company number", "registration number", "tax id",
     "nif", "cif", "nif cif", "cif nif", "nif/cif",
     "numero de identificacion fiscal", "siren", "siret", "numero siren", "numero siret",
     "n siret", "n siren", "identifiant")
_add("vat_number", "vat_number", "vat", "vat number", "vat id", "vat no", "vat reg no",
     "eu vat number", "intra community vat number", "nif iva", "numero de iva",
     "numero iva", "n iva", "iva intracomunitario", "nif intracomunitario", "tva",
     "numero de tva", "n tva", "numero tva", "tva intracommunautaire",
     "numero de tva intracommunautaire", "n tva intracommunautaire")
_add("account_manager", "account manager", "owner", "account owner", "sales rep",
     "salesperson", "responsable", "comercial", "gestor", "gestor de cuenta",
     "responsable de cuenta", "commercial", "responsable de compte", "charge de compte")
_add("comments", "comments", "comment", "notes", "note", "description", "comentarios",
     "comentario", "observaciones", "notas", "commentaires", "commentaire", "remarques")
_add("line1", "address", "street", "address line 1", "address 1", "street address",
     "direccion", "domicilio", "calle", "direccion 1", "adresse", "rue", "adresse ligne 1",
     "adresse 1", "voie")
_add("line2", "address line 2", "address 2", "direccion 2", "complemento", "adresse ligne 2",
     "adresse 2", "complement d adresse", "complement")
_add("postal_code", "postal code", "postcode", "zip", "zip code", "codigo postal", "cp",
     "c p", "code postal")
_add("city", "city", "town", "ciudad", "localidad", "poblacion", "municipio", "ville",
     "commune", "localite")
_add("country", "country", "pais", "pays", "nation")
_add("contact_first_name", "first name", "firstname", "given name", "contact first name",
     "nombre del contacto", "nombre contacto", "nombre de pila", "prenom", "prenom du contact",
     "prenom contact")
_add("contact_last_name", "last name", "lastname", "surname", "family name",
     "contact last name", "contact name", "contact", "apellido", "apellidos",
     "apellidos contacto", "persona de contacto", "contacto", "nom de famille",
     "nom du contact", "nom contact", "interlocuteur")
_add("contact_email", "contact email", "contact e mail", "email contacto",
     "correo contacto", "correo del contacto", "email del contacto", "email du contact",
     "e mail du contact", "courriel du contact", "email contact")
_add("contact_phone", "contact phone", "mobile", "mobile phone", "cell", "cell phone",
     "movil", "telefono movil", "telefono contacto", "telefono del contacto", "portable",
     "telephone portable", "telephone du contact", "tel contact", "mobile contact")
_add("contact_job_title", "job title", "title", "position", "role", "job", "cargo", "puesto",
     "fonction", "poste", "titre")


def header_key(header: str) -> str:
    """'Razón social' → 'razon social': how headers are compared."""
    folded = strip_accents(header or "").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def field_labels(definitions: list[CustomFieldDefinition] | None = None) -> dict[str, str]:
    """Every field a column can fill, custom fields included, with its label."""
    labels = {**COMPANY_FIELDS, **ADDRESS_FIELDS, **CONTACT_FIELDS}
    for definition in definitions if definitions is not None else active_definitions():
        labels[CUSTOM_PREFIX + definition.key] = _l("Custom field: %(label)s",
                                                    label=definition.label)
    return labels


def guess_mapping(headers: list[str],
                  definitions: list[CustomFieldDefinition] | None = None) -> list[str | None]:
    """The field each header most likely fills (None: ignored), each field used once."""
    definitions = active_definitions() if definitions is None else definitions
    candidates = []
    for header in headers:
        key = header_key(header)
        choices = list(SYNONYMS.get(key, [])) or _word_guess(key)
        for definition in definitions:
            if key in (header_key(definition.label), header_key(definition.key)):
                choices.insert(0, CUSTOM_PREFIX + definition.key)
        candidates.append(choices)
    mapping: list[str | None] = [None] * len(headers)
    taken: set[str] = set()
    for rank in range(max((len(c) for c in candidates), default=0)):
        # Headers whose word has a single meaning claim their field before ambiguous ones.
        order = sorted(range(len(headers)), key=lambda i: len(candidates[i]))
        for index in order:
            choices = candidates[index]
            if mapping[index] is None and rank < len(choices) and choices[rank] not in taken:
                mapping[index] = choices[rank]
                taken.add(choices[rank])
    return mapping


def _word_guess(key: str) -> list[str]:
    """For a header no phrase matches ("Company email address"), a word that means one field."""
    found = [SYNONYMS[word][0] for word in key.split()
             if len(word) >= 3 and len(SYNONYMS.get(word, ())) == 1]
    return list(dict.fromkeys(found))[:1]


def headers_signature(headers: list[str]) -> str:
    return hashlib.sha256("\x1f".join(header_key(h) for h in headers).encode()).hexdigest()


def clean_mapping(mapping: list, headers: list[str], labels: dict[str, str]) -> list[str | None]:
    """A mapping as submitted or stored, kept to known fields, each used once."""
    cleaned: list[str | None] = []
    used: set[str] = set()
    for index in range(len(headers)):
        field = mapping[index] if index < len(mapping) else None
        if field in labels and field not in used:
            cleaned.append(field)
            used.add(field)
        else:
            cleaned.append(None)
    return cleaned


def remembered_mapping(headers: list[str], labels: dict[str, str]) -> list[str | None] | None:
    """The mapping confirmed last time for exactly these headers, if any."""
    stored = db.session.scalar(select(ImportMapping).where(
        ImportMapping.headers_key == headers_signature(headers)))
    return clean_mapping(stored.mapping, headers, labels) if stored else None


def remember_mapping(headers: list[str], mapping: list[str | None], user: User | None) -> None:
    """Keep this mapping for the next file with the same headers; flushes only."""
    key = headers_signature(headers)
    stored = db.session.scalar(select(ImportMapping).where(ImportMapping.headers_key == key))
    if stored is None:
        stored = ImportMapping(headers_key=key)
        db.session.add(stored)
    stored.headers, stored.mapping = list(headers), list(mapping)
    stored.user_id = user.id if user is not None else None
    db.session.flush()
