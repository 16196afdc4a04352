"""Flask CLI commands: create-user, reset-two-factor, seed-demo, prune-search-words,
recount-tallies, verify-register, verify-figures, import-sample, worker, backup and restore."""
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--role", type=click.Choice(["admin", "user"]), default="user", show_default=True)
    @click.option("--name", "full_name", default="", help="Full name shown in the interface.")
    def create_user_command(email: str, password: str, role: str, full_name: str) -> None:
        """Create a staff account."""
        from .services.users import UserError, create_user
        try:
            user = create_user(email, password, role=role, full_name=full_name)
        except UserError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Created {user.role} {user.email}.")

    @app.cli.command("reset-two-factor")
    @click.argument("email")
    def reset_two_factor_command(email: str) -> None:
        """Turn a user's two-factor login off (lost phone and recovery codes); ends their
        sessions."""
        from .services.two_factor import reset_for
        from .services.users import find_user_by_email
        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No user has the email {email}.")
        was_on = reset_for(user)
        db.session.commit()
        click.echo(f"Two-factor login {'reset' if was_on else 'was not on'} for {user.email}.")

    @app.cli.command("seed-demo")
    @click.option("--companies", default=50, show_default=True, help="How many companies.")
    @click.option("--seed", default=42, show_default=True, help="Random seed, for repeatable data.")
    @click.option("--admin-email", default="admin@example.com", show_default=True)
    @click.option("--admin-password", default="demo-admin-pass", show_default=True)
    @click.option("--whale", is_flag=True,
                  help="Add one client with 10,000 invoices and 50,000 exchanges.")
    def seed_demo_command(companies: int, seed: int, admin_email: str, admin_password: str,
                          whale: bool) -> None:
        """Load realistic, deterministic demo data (skipped when companies already exist)."""
        import sys

        from .seed_progress import seed_bars
        from .services.demo import DemoAlreadyLoaded, seed_demo
        try:
            # The bars go to a terminal only: a script or a log gets the summary line alone.
            with seed_bars(companies + int(whale), desc="seed-demo",
                           disable=not sys.stderr.isatty()) as (progress, frozen):
                summary = seed_demo(companies=companies, seed=seed, admin_email=admin_email,
                                    admin_password=admin_password, whale=whale,
                                    progress=progress, freeze_progress=frozen)
        except DemoAlreadyLoaded as exc:
            click.echo(str(exc))
            from .services.users import find_user_by_email
            if find_user_by_email(admin_email):
                click.echo(f"Log in with {admin_email} (demo password: {admin_password})")
            return
        db.session.commit()
        # Bulk-loaded tables have no planner statistics until autovacuum runs: refresh them now.
        from .services.db_maintenance import refresh_statistics
        refresh_statistics()
        click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))
        click.echo(f"Log in with {admin_email} / {admin_password}")

    @app.cli.command("prune-search-words")
    def prune_search_words_command() -> None:
        """Remove the search's stored words that no company holds any more (run at a quiet
        hour on PostgreSQL: company writes wait meanwhile)."""
        from .services.db_maintenance import prune_search_words
        removed = prune_search_words()
        db.session.commit()  # also ends the lock that held company writes
        click.echo(_("Removed %(count)s stored words that no company holds any more.",
                     count=removed))

    @app.cli.command("recount-tallies")
    def recount_tallies_command() -> None:
        """Recount the dashboard's, the pipeline's and data quality's running tallies from the
        rows (after a TRUNCATE or a load with triggers off; PostgreSQL: writes wait meanwhile)."""
        from .services.db_maintenance import compact_tallies, recount_tallies
        rows = recount_tallies()
        db.session.commit()
        compact_tallies()
        click.echo(_("Tallies recounted from the rows: %(rows)s.",
                     rows=", ".join(f"{table} {count}" for table, count in rows.items())))

    @app.cli.command("verify-register")
    def verify_register_command() -> None:
        """Recompute the chain of the invoice register; exit 1 at the first broken record."""
        from .services.register import verify
        verdict = verify()
        db.session.commit()  # the verdict is what the Invoices list shows
        if verdict.intact:
            click.echo(f"Register intact: {verdict.records} records verified.")
            return
        broken = verdict.broken
        click.echo(f"Register broken at record {broken.id} ({broken.kind} {broken.number}): "
                   f"{verdict.problem}. {verdict.records - 1} records before it are intact.",
                   err=True)
        raise SystemExit(1)

    @app.cli.command("verify-figures")
    @click.option("--repair", is_flag=True,
                  help="Recompute every stored figure from the rows when one differs.")
    def verify_figures_command(repair: bool) -> None:
        """Recompute the stored money figures from the rows; exit 1 at the first company whose
        figures differ."""
        from .services.figures import describe, refresh_all, verify
        drift = verify()
        if drift is None:
            db.session.rollback()
            click.echo(_("Stored money figures match the rows for every company."))
            return
        click.echo(describe(drift), err=True)
        if repair:
            refresh_all()
            db.session.commit()
            click.echo(_("Every stored money figure was recomputed from the rows."), err=True)
        raise SystemExit(1)

    @app.cli.command("import-sample")
    @click.option("--rows", default=500, show_default=True, help="How many data rows.")
    @click.option("--seed", default=17, show_default=True, help="Random seed, for a repeatable file.")
    @click.option("--output", type=click.Path(dir_okay=False, writable=True),
                  default=None, help="Where to write it [default: instance/sample-import.csv].")
    def import_sample_command(rows: int, seed: int, output: str | None) -> None:
        """Write a sample import file: prospects, near-duplicates of the companies in the
        database and a few bad rows (upload it at /admin/import/)."""
        from pathlib import Path

        from config import INSTANCE_DIR

        from .services.imports.sample import sample_csv
        target = Path(output) if output else INSTANCE_DIR / "sample-import.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sample_csv(rows, seed))
        click.echo(f"Wrote {rows} rows to {target}")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    def worker_command(burst: bool) -> None:
        """Run background jobs (imports, mail delivery) from the RQ queue at RQ_REDIS_URL."""
        from .services.jobs import background_enabled, work
        if not background_enabled():
            raise click.ClickException("RQ_REDIS_URL is not set: jobs run inline, no worker "
                                       "is needed.")
        work(burst=burst)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace PATH if it exists.")
    def backup_command(path: Path, force: bool) -> None:
        """Back up the database and the uploaded files into one .tar.gz archive, online."""
        from .services.backup import BackupError, create_backup
        if path.exists() and not force:
            raise click.ClickException(f"{path} exists: choose another name, or --force.")
        try:
            manifest = create_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        database = manifest["database"]
        click.echo(f"Backed up {database['kind']} (schema {database['alembic_revision']}, "
                   f"{sum(database['tables'].values())} rows in {len(database['tables'])} "
                   f"tables) and {len(manifest['files'])} files into {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(path: Path) -> None:
        """Restore a backup archive into an empty database and UPLOAD_DIR."""
        from .services.backup import BackupError, restore_backup, schema_is_current
        try:
            manifest = restore_backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        database = manifest["database"]
        click.echo(f"Restored {sum(database['tables'].values())} rows in "
                   f"{len(database['tables'])} tables and {len(manifest['files'])} files "
                   f"from the backup of {manifest['created_at']}; every count and checksum "
                   "matches.")
        if not schema_is_current(manifest):
            click.echo("The backup's schema is older than this code: run "
                       "`flask --app wsgi db upgrade` before starting the app.")
