"""The demo's sample import file: trade-fair prospects with Spanish headers, about 5% near-duplicates
of the companies already in the database (same legal ID, same email, or a typo in the name with
the same phone and domain) and a few bad rows. The same database and seed give the same file."""
import random

from sqlalchemy import select
from stdnum.es import cif

from ...extensions import db
from ...models import Company
from .files import write_csv

HEADERS = ["Razón social", "NIF", "Email", "Teléfono", "Sitio web", "Estado", "Dirección",
           "Código postal", "Ciudad", "País", "Nombre", "Apellidos", "Email contacto", "Cargo",
           "Employees"]
WORDS = ["Alba", "Brisa", "Cumbre", "Dunas", "Estela", "Faro", "Gaviota", "Horizonte", "Isla",
         "Jara", "Lirio", "Marea", "Nube", "Olivo", "Pino", "Roble", "Sierra", "Tilo", "Valle",
         "Zafiro"]
TRADES = ["Ingeniería", "Distribuciones", "Servicios", "Alimentación", "Consultores",
          "Transportes", "Software", "Reformas", "Energías", "Textil"]
PLACES = [("Madrid", "28004"), ("Barcelona", "08010"), ("Valencia", "46002"),
          ("Sevilla", "41004"), ("Bilbao", "48001"), ("Zaragoza", "50001"), ("Málaga", "29001"),
          ("Murcia", "30001"), ("Alicante", "03001")]
FIRST = ["Lucía", "Mateo", "Carmen", "Álvaro", "Paula", "Javier", "Nerea", "Sergio", "Irene"]
LAST = ["Gómez", "Iglesias", "Serrano", "Molina", "Castro", "Ortiz", "Rubio", "Marín"]
JOBS = ["Gerente", "Director de compras", "Administración", "Responsable comercial"]
STREETS = ["Calle Alcalá", "Avenida de la Constitución", "Calle Colón", "Paseo del Prado"]
BAD_ROWS = 8
REPEATS = 2
DUPLICATE_SHARE = 0.05


def sample_rows(rows: int = 500, seed: int = 17) -> list[list[str]]:
    """The header and `rows` data rows."""
    # Reviewed (bandit B311): a repeatable sample file, not a secret.
    rng = random.Random(seed)  # nosec B311
    existing = db.session.execute(
        select(Company.name, Company.legal_id, Company.email, Company.phone)
        .where(Company.merged_into_id.is_(None)).order_by(Company.id).limit(2000)).all()
    duplicates = round(rows * DUPLICATE_SHARE) if existing else 0
    special = rng.sample(range(rows), min(rows, duplicates + BAD_ROWS))
    kinds = {index: ("dup", n) for n, index in enumerate(special[:duplicates])}
    kinds.update({index: ("bad", n) for n, index in enumerate(special[duplicates:])})
    names = rng.sample([(w, t, p) for w in WORDS for t in TRADES for p in PLACES], rows)
    # Each near-duplicate copies another company while there are enough to go round.
    originals = rng.sample(list(existing), min(duplicates, len(existing))) if existing else []
    out = [HEADERS]
    for index in range(rows):
        row = _new_company(rng, index, names[index])
        kind, n = kinds.get(index, ("new", 0))
        if kind == "dup":
            row = _near_duplicate(rng, row, originals[n % len(originals)], n % 3)
        elif kind == "bad":
            _spoil(row, n)
        out.append(row)
    for index in rng.sample(range(rows // 2, rows), min(REPEATS, rows // 2)):
        source = rng.randrange(index)  # a row typed twice in the same file
        if index not in kinds and source not in kinds:
            out[1 + index] = [out[1 + source][0].lower()] + out[1 + source][1:]
    return out


def sample_csv(rows: int = 500, seed: int = 17) -> bytes:
    """The sample as Spanish Excel saves it: UTF-8 with a BOM, semicolon-separated."""
    return write_csv(sample_rows(rows, seed), encoding="utf-8-sig", delimiter=";")


def _new_company(rng: random.Random, index: int, name_parts) -> list[str]:
    word, trade, (city, postal) = name_parts
    name = f"{word} {trade} {city} {rng.choice(['SL', 'SA', 'SLU'])}"
    slug = f"{word}-{trade}-{city}".lower().translate(str.maketrans("áéíóúñ", "aeioun"))
    body = f"A{rng.randint(1000000, 9999999)}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    status = "Cliente" if rng.random() < 0.15 else "Prospecto"
    return [name, body + cif.calc_check_digits(body)[0], f"info@{slug}.example",
            f"+34 8{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
            f"www.{slug}.example", status, f"{rng.choice(STREETS)} {rng.randint(1, 150)}", postal,
            city, "España", first, last, f"{first[0]}.{last}@{slug}.example".lower(),
            rng.choice(JOBS), str(rng.choice([5, 12, 25, 40, 80, 150]))]


def _near_duplicate(rng: random.Random, row: list[str], company, kind: int) -> list[str]:
    """A row for an existing company, as another tool would have typed it."""
    name, legal_id, email, phone = company
    row = list(row)
    if kind == 0 and legal_id:  # same legal ID, the name in capitals with another legal form
        row[0], row[1], row[2] = name.upper() + " S.L.", legal_id, ""
    elif kind == 1 and email:  # same email
        row[0], row[1], row[2] = name + " (oficina central)", "", email.upper()
    else:  # a typo in the name, the same phone, another address at the same domain
        row[0], row[1] = _typo(rng, name), ""
        row[2] = "ventas@" + email.split("@")[1] if email and "@" in email else ""
        row[3] = phone or row[3]
    row[4] = ""
    return row


def _typo(rng: random.Random, name: str) -> str:
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 5:
        at = rng.randrange(1, len(word) - 2)
        words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return " ".join(words)


def _spoil(row: list[str], n: int) -> None:
    """The mistakes a real file has: each bad row fails one cell."""
    spoilers = [
        lambda r: r.__setitem__(0, ""),  # a required value missing
        lambda r: r.__setitem__(2, r[2].replace("@", "@@")),  # bad email
        lambda r: r.__setitem__(5, "VIP"),  # unknown status
        lambda r: r.__setitem__(14, "muchos"),  # a word where a number should be
        lambda r: r.__setitem__(3, "llamar por la tarde"),  # not a phone number
        lambda r: r.__setitem__(12, "sin correo"),  # bad contact email
        lambda r: r.__setitem__(0, "Empresa " + "muy " * 60 + "larga"),  # too long
        lambda r: r.__setitem__(5, "Proveedor"),  # another unknown status
    ]
    spoilers[n % len(spoilers)](row)
