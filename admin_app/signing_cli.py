"""`flask --app wsgi signing-cert`: make or import the certificate that signs signed documents."""
from pathlib import Path

import click
from flask import Flask


def register_signing_cli(app: Flask) -> None:
    @app.cli.command("signing-cert")
    @click.option("--import", "import_path", type=click.Path(exists=True, dir_okay=False,
                                                              path_type=Path),
                  help="A PKCS#12 (.p12/.pfx) file holding the key and its certificate.")
    @click.option("--password", default=None, help="The PKCS#12 password (asked when needed).")
    @click.option("--force", is_flag=True, help="Replace an existing certificate.")
    @click.option("--name", default=None, help="Name in a new self-signed certificate.")
    def signing_cert(import_path: Path | None, password: str | None, force: bool,
                     name: str | None) -> None:
        """Create a self-signed signing certificate, or import one from a PKCS#12 file."""
        from .services.signing import (
            certificate_path, create_certificate, has_certificate, import_pkcs12,
        )
        if has_certificate() and not force and import_path is None:
            click.echo(f"A signing certificate exists: {certificate_path()} (--force replaces "
                       "it).")
            return
        if import_path is not None:
            try:
                certificate = import_pkcs12(import_path, password.encode() if password else None)
            except (ValueError, TypeError) as exc:
                if password is None:
                    password = click.prompt("PKCS#12 password", hide_input=True)
                    try:
                        certificate = import_pkcs12(import_path, password.encode())
                    except (ValueError, TypeError) as again:
                        raise click.ClickException(f"Cannot read {import_path}: {again}") from again
                else:
                    raise click.ClickException(f"Cannot read {import_path}: {exc}") from exc
        else:
            certificate = create_certificate(name)
        click.echo(f"Signing certificate: {certificate.subject.rfc4514_string()}, valid until "
                   f"{certificate.not_valid_after_utc:%Y-%m-%d}; stored in {certificate_path()}.")
