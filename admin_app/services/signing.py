"""The organisation's signing certificate and what it signs: a signed copy of a PDF (the original
plus a certificate page) or a certificate PDF for any other file, both PAdES-signed (pyHanko).

The key and certificate live under the instance folder (SIGNING_DIR), never under static; a
self-signed pair is made on first use, or `flask --app wsgi signing-cert --import FILE.p12`."""
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from .settings import get_setting

KEY_FILE, CERT_FILE = "signing-key.pem", "signing-cert.pem"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
VALID_YEARS = 10


def signing_dir() -> Path:
    return Path(current_app.config["SIGNING_DIR"])


def certificate_path() -> Path:
    return signing_dir() / CERT_FILE


def has_certificate() -> bool:
    return (signing_dir() / KEY_FILE).exists() and certificate_path().exists()


def create_certificate(common_name: str | None = None) -> x509.Certificate:
    """A new self-signed signing certificate for the organisation (replaces the stored one)."""
    name = (common_name or get_setting("company_name") or "Back office")[:64]
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .sign(key, hashes.SHA256()))
    _store(key, certificate)
    return certificate


def import_pkcs12(path: Path, password: bytes | None) -> x509.Certificate:
    """Use the key and certificate of a PKCS#12 file (ValueError when it cannot be read)."""
    key, certificate, _chain = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    if key is None or certificate is None:
        raise ValueError("The file holds no private key with its certificate.")
    _store(key, certificate)
    return certificate


def _store(key, certificate: x509.Certificate) -> None:
    folder = signing_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key_path = folder / KEY_FILE
    # The private key is readable by the app's user only.
    descriptor = os.open(key_path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    key_path.with_suffix(".tmp").replace(key_path)
    certificate_path().write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _signer() -> signers.SimpleSigner:
    if not has_certificate():
        create_certificate()
    return signers.SimpleSigner.load(str(signing_dir() / KEY_FILE), str(certificate_path()))


def sign_pdf(data: bytes, reason: str) -> bytes:
    """The PDF with a PAdES signature of the organisation's certificate."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="OrganisationSignature", reason=reason[:200],
        name=get_setting("company_name"), subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(writer, meta, signer=_signer()).getvalue()


def certificate_page(lines: list[tuple[str, str]], title: str) -> bytes:
    """A one-page PDF listing the evidence (label, value) under `title`."""
    pdf = FPDF(format="A4")
    family = "Helvetica"
    if FONT.exists():
        pdf.add_font("Body", "", str(FONT))
        family = "Body"
    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 9, _fit(title, family), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in lines:
        pdf.set_font(family, size=9)
        pdf.set_text_color(90, 90, 90)
        pdf.multi_cell(0, 5, _fit(label, family), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=11)
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 6, _fit(value, family), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def _fit(value: str, family: str) -> str:
    value = str(value or "")
    if family == "Helvetica":  # core font: Latin-1 only
        return value.encode("latin-1", "replace").decode("latin-1")
    return value


def with_certificate_page(original: bytes, page: bytes) -> bytes | None:
    """The original PDF followed by the certificate page; None when the original cannot be
    read as a PDF (encrypted, broken): the certificate then stands alone."""
    try:
        writer = PdfWriter()
        writer.append(PdfReader(io.BytesIO(original)))
        writer.append(PdfReader(io.BytesIO(page)))
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, OSError):
        return None
    return out.getvalue()
