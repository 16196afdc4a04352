"""Normalised keys of company names, phones and emails, used by search and duplicate detection."""
import re
import unicodedata

# Legal-form words carry no identity: "ACME SARL" and "Acme" are the same company.
LEGAL_FORMS = {
    "sa", "sas", "sasu", "sarl", "eurl", "sl", "slu", "sociedad", "limitada", "gmbh", "ag",
    "ltd", "limited", "llc", "inc", "corp", "corporation", "co", "company", "plc", "bv", "nv",
    "srl", "spa", "the", "et", "and", "y", "cie",
}
FREE_MAIL_DOMAINS = {
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.es", "hotmail.com",
    "hotmail.fr", "hotmail.es", "outlook.com", "outlook.fr", "outlook.es", "live.com",
    "live.fr", "msn.com", "icloud.com", "me.com", "aol.com", "orange.fr", "free.fr",
    "wanadoo.fr", "laposte.net", "sfr.fr", "gmx.com", "gmx.de", "gmx.fr", "protonmail.com",
    "proton.me", "yandex.com", "mail.com", "telefonica.net",
}


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_name(name: str | None) -> str:
    """Lower-case, accent-free words of a company name without legal forms or punctuation."""
    if not name:
        return ""
    # Dots join abbreviations: "S.L." is the legal form "sl", not the words "s" and "l".
    folded = strip_accents(name).lower().replace(".", "")
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


def normalize_phone(phone: str | None) -> str:
    """Digits only, the national trunk prefix or international prefix folded (last 9 digits)."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 9 else digits


def email_domain(email: str | None) -> str:
    """The email's domain, empty for free-mail providers where a domain identifies nobody."""
    if not email or "@" not in email:
        return ""
    domain = email.rsplit("@", 1)[1].strip().lower()
    return "" if domain in FREE_MAIL_DOMAINS else domain


def normalize_legal_id(legal_id: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (legal_id or "").upper())
