"""Command-line tasks: flask --app equipment_share <command>."""

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from equipment_share import backups
from equipment_share.config_check import Problem, config_problems
from equipment_share.database import migration_head, schema_revision, upgrade_schema
from equipment_share.demo_data import load_demo_data
from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Organization
from equipment_share.services import (
    audit,
    claims,
    idle_spans,
    instrument_changes,
    rate_cards,
    usage,
    webhooks,
)
from equipment_share.services.notifications import send_pending
from equipment_share.services.tokens import issue_token
from equipment_share.services.users import create_user, find_user, unlock_user


@click.command("init-db")
def init_db_command() -> None:
    """Create the database schema, or upgrade it to the newest version."""
    upgrade_schema()
    click.echo("Database schema is up to date.")


@click.command("demo-data")
def demo_data_command() -> None:
    """Load demo platforms, instruments, SMEs and logins (safe to run again)."""
    upgrade_schema()
    logins = load_demo_data()
    db.session.commit()
    idle_spans.refresh_all()
    click.echo(f"Demo data is loaded. Demo logins (password for all: {logins.password}):")
    for role, email, organization in logins.accounts:
        click.echo(f"  {role:<9} {email:<32} {organization}")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "platform", "sme", "finance"]))
@click.option("--org", "organization_name", help="Name of the user's organisation.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(email, role, organization_name, name, password) -> None:
    """Create a user account."""
    organization_id = None
    if organization_name:
        organization = db.session.scalar(
            db.select(Organization).where(Organization.name == organization_name)
        )
        if organization is None:
            raise click.ClickException(f"No organisation is named {organization_name!r}.")
        organization_id = organization.id
    values = {"email": email, "password": password, "role": role, "name": name}
    try:
        user = create_user(None, values | {"organization_id": organization_id})
    except ValidationFailed as failure:
        problems = "; ".join(f"{field}: {message}" for field, message in failure.fields.items())
        raise click.ClickException(problems) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} user {user.email}.")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="cli", help="A note to recognise the token by.")
def create_token_command(email, label) -> None:
    """Make an API token for a user; it is printed once, as the last line."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user has the e-mail address {email}.")
    token = issue_token(user, label)
    db.session.commit()
    click.echo(f"API token for {user.email} (shown only now; keep it secret):")
    click.echo(token)


@click.command("unlock-user")
@click.argument("email")
def unlock_user_command(email) -> None:
    """Let a user locked out after too many wrong passwords sign in again."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user has the e-mail address {email}.")
    unlock_user(None, user)
    db.session.commit()
    click.echo(f"{user.email} can sign in again.")


@click.command("send-mail")
def send_mail_command() -> None:
    """Send queued notifications (to the log when no MAIL_SERVER is configured)."""
    sent, failed = send_pending()
    click.echo(f"Sent {sent} message(s); {failed} failed and will be retried.")


@click.command("send-webhooks")
def send_webhooks_command() -> None:
    """Post queued notices to the organisations' group robots (WeCom, DingTalk)."""
    sent, failed = webhooks.send_pending()
    click.echo(f"Posted {sent} message(s); {failed} failed and will be retried.")


@click.command("verify-audit")
def verify_audit_command() -> None:
    """Check the audit log's hash chain; exit with 1 at the first broken entry."""
    checked, broken = audit.verify_chain()
    if broken is not None:
        click.echo(
            f"broken at position {broken.position} (entry id {broken.entry_id}): {broken.reason}",
            err=True,
        )
        raise SystemExit(1)
    position, entry_hash = audit.head()
    click.echo(f"audit chain intact: {checked} entries, head {position} {entry_hash}")


@click.command("check-config")
def check_config_command() -> None:
    """Report settings that are missing or unsafe for production, and whether the database
    answers with the newest schema; exit with 1 when something must be fixed."""
    problems = config_problems(current_app.config)
    try:
        revision = schema_revision()
    except SQLAlchemyError as error:
        problems.append(Problem("error", "DATABASE_URL", f"cannot connect: {error.orig or error}"))
    else:
        if revision != migration_head():
            message = f"schema at {revision}, code at {migration_head()}: run init-db"
            problems.append(Problem("error", "DATABASE_URL", message))
    for problem in problems:
        click.echo(f"{problem.level.upper():<8} {problem.setting}: {problem.message}")
    errors = sum(problem.level == "error" for problem in problems)
    click.echo(f"{errors} error(s), {len(problems) - errors} warning(s)")
    if errors:
        raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the whole database to PATH, while the app runs."""
    try:
        backups.backup(db.engine, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    position, entry_hash = audit.head()
    click.echo(f"Backed up to {path}; audit chain head {position} {entry_hash}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore a backup made with `backup` into this (empty) database."""
    try:
        backups.restore(db.engine, path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    checked, broken = audit.verify_chain()
    if broken is not None:
        raise click.ClickException(f"restored, but the audit chain is broken at {broken.position}")
    position, entry_hash = audit.head()
    click.echo(f"Restored {path}: {checked} audit entries, head {position} {entry_hash}")


@click.command("auto-confirm")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Confirm records left unanswered this many days (default: USAGE_AUTO_CONFIRM_DAYS).",
)
def auto_confirm_command(days: int | None) -> None:
    """Confirm usage records the SME neither confirmed nor disputed in time (run daily)."""
    if days is None:
        days = int(current_app.config["USAGE_AUTO_CONFIRM_DAYS"])
    confirmed = usage.auto_confirm(days)
    db.session.commit()
    click.echo(f"Confirmed {len(confirmed)} usage record(s) left unanswered for {days} days.")


@click.command("apply-rate-cards")
def apply_rate_cards_command() -> None:
    """List the rates of each instrument's version now in force (run daily)."""
    changed = rate_cards.apply_due_versions()
    db.session.commit()
    click.echo(f"{changed} instrument(s) now list the rates of a newly effective rate card.")


@click.command("refresh-idle-spans")
@click.option("--full", is_flag=True, help="Rebuild every instrument's spans, not only new days.")
def refresh_idle_spans_command(full: bool) -> None:
    """Expand every instrument's idle time for the coming quarter, for the free search, and
    compact the notes of changed instruments that the pages' fingerprints read (daily)."""
    written = idle_spans.refresh_all(full=full)
    period = idle_spans.coverage(db.session.connection())
    click.echo(
        f"{written} idle span(s) from {period.start:%Y-%m-%d} to {period.end:%Y-%m-%d} (UTC)."
    )
    removed = instrument_changes.compact()
    db.session.commit()
    click.echo(f"{removed} note(s) of changed instruments compacted.")


@click.command("draft-claims")
@click.option("--from", "period_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "period_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--policy", "policy_id", type=int, help="Default: the policy covering the period.")
def draft_claims_command(period_from, period_to, policy_id) -> None:
    """Draft a subsidy claim for every SME with unclaimed use in the period (dates included)."""
    try:
        created = claims.draft_claims(None, period_from.date(), period_to.date(), policy_id)
    except ValidationFailed as error:
        raise click.ClickException(
            "; ".join(f"{name}: {message}" for name, message in error.fields.items())
        ) from None
    click.echo(f"{len(created)} draft claim(s) made.")


COMMANDS = (
    init_db_command,
    demo_data_command,
    create_user_command,
    create_token_command,
    unlock_user_command,
    send_mail_command,
    send_webhooks_command,
    verify_audit_command,
    auto_confirm_command,
    apply_rate_cards_command,
    refresh_idle_spans_command,
    draft_claims_command,
    backup_command,
    restore_command,
    check_config_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
