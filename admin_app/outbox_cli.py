"""`flask --app wsgi outbox`: list and retry outgoing mail (the RQ worker is `flask worker`)."""
import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import OutboxMessage


def register_outbox_cli(app: Flask) -> None:
    @app.cli.command("outbox")
    @click.option("--retry", "retry", is_flag=True,
                  help="Deliver the messages whose automatic retry is due.")
    @click.option("--retry-id", "retry_ids", multiple=True, type=int,
                  help="Retry this failed message now, even past its retry limit.")
    @click.option("--all", "show_all", is_flag=True, help="List sent messages too.")
    def outbox_command(retry: bool, retry_ids: tuple[int, ...], show_all: bool) -> None:
        """List the outbox (queued and failed messages) and retry them."""
        from .delivery import deliver, retry_due
        for outbox_id in retry_ids:
            click.echo(f"#{outbox_id}: {deliver(outbox_id, manual=True)}")
        if retry:
            results = retry_due()
            click.echo(f"Retried {len(results)} message(s): "
                       + (", ".join(f"#{k} {v}" for k, v in results.items()) or "none due"))
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if not show_all:
            query = query.where(OutboxMessage.status != "sent")
        rows = db.session.scalars(query).all()
        if not rows:
            click.echo("The outbox is empty." if show_all else "No message waiting or failed.")
        for row in rows:
            when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M") if row.next_attempt_at else "-"
            click.echo(f"#{row.id} {row.status:<7} tries={row.attempts} next={when} "
                       f"to={row.recipients} subject={row.subject!r}"
                       + (f" error={row.last_error!r}" if row.last_error else ""))
