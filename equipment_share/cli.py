"""Command-line tasks: flask --app equipment_share <command>."""

import click
from flask import Flask, current_app

from equipment_share.database import upgrade_schema
from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Organization
from equipment_share.services import audit, rate_cards, usage
from equipment_share.services.tokens import issue_token
from equipment_share.services.users import create_user, find_user


@click.command("init-db")
def init_db_command() -> None:
    """Create the database schema, or upgrade it to the newest version."""
    upgrade_schema()
    click.echo("Database schema is up to date.")


@click.command("demo-data")
def demo_data_command() -> None:
    """Load demo platforms, instruments, SMEs and logins (safe to run again)."""
    from equipment_share.demo_data import load_demo_data

    upgrade_schema()
    logins = load_demo_data()
    db.session.commit()
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


@click.command("send-mail")
def send_mail_command() -> None:
    """Send queued notifications (to the log when no MAIL_SERVER is configured)."""
    from equipment_share.services.notifications import send_pending

    sent, failed = send_pending()
    click.echo(f"Sent {sent} message(s); {failed} failed and will be retried.")


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


COMMANDS = (
    init_db_command,
    demo_data_command,
    create_user_command,
    create_token_command,
    send_mail_command,
    verify_audit_command,
    auto_confirm_command,
    apply_rate_cards_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
