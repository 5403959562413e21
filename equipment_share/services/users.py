"""User accounts: creation with checked values, and signing in."""

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update

from equipment_share.domain.errors import N_, Message, NotFound, ValidationFailed
from equipment_share.domain.fields import check_text
from equipment_share.domain.passwords import password_problem
from equipment_share.extensions import db
from equipment_share.models import Organization, Role, User, utcnow
from equipment_share.models.users import check_dummy_password
from equipment_share.services import audit
from equipment_share.services.access import require_role
from equipment_share.services.locks import lock_row

# Platform staff belong to a platform, SME staff to an SME; admin and finance may belong to none.
ORGANIZATION_KIND_FOR_ROLE = {Role.PLATFORM: "platform", Role.SME: "sme"}
ROLE_WORDS = {Role.PLATFORM: N_("platform"), Role.SME: N_("SME")}


def normalise_email(value: str | None) -> str | None:
    try:
        return validate_email(value or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _organization_error(role: Role, organization: Organization | None) -> Message | None:
    expected_kind = ORGANIZATION_KIND_FOR_ROLE.get(role)
    if expected_kind is None:
        return None
    if organization is None or organization.kind != expected_kind:
        return Message(
            N_("A %(role)s user needs an organisation of that kind."),
            {"role": Message(ROLE_WORDS[role])},
        )
    return None


def new_user(values: dict) -> User:
    """A checked user, not yet in the session and not yet in an organisation."""
    errors: dict[str, Message] = {}
    email = normalise_email(values.get("email"))
    if email is None or len(email) > 254:
        errors["email"] = Message(N_("Not a valid e-mail address."))
    elif db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors["email"] = Message(N_("This e-mail address is already registered."))
    password = values.get("password") or ""
    user_inputs = (email or "", str(values.get("name") or ""))
    if (message := password_problem(password, user_inputs)) is not None:
        errors["password"] = message
    if (message := check_text(values.get("name"), 100)) is not None:
        errors["name"] = message
    try:
        role = Role(values.get("role"))
    except ValueError:
        errors["role"] = Message(N_("Choose admin, platform, sme or finance."))
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, role=role, name=(values.get("name") or "").strip())
    user.set_password(password)
    return user


def create_user(actor: User | None, values: dict) -> User:
    """Made by an admin, or by the CLI (actor None)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    organization = None
    if values.get("organization_id") is not None:
        organization = db.session.get(Organization, values["organization_id"])
        if organization is None:
            raise ValidationFailed({"organization_id": Message(N_("Unknown organisation."))})
    user = new_user(values)
    if (message := _organization_error(user.role, organization)) is not None:
        raise ValidationFailed({"organization_id": message})
    user.organization = organization
    db.session.add(user)
    db.session.flush()
    return user


# What an admin may change about an account (the e-mail and password stay the user's own).
EDITABLE_FIELDS = ("name", "role", "organization_id", "active")


def user_values(user: User) -> dict:
    return {name: getattr(user, name) for name in EDITABLE_FIELDS}


def get_user(actor: User, user_id: int) -> User:
    """An account, for an admin."""
    require_role(actor, Role.ADMIN)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def update_user(actor: User, user_id: int, changes: dict) -> User:
    """An admin edits an account: name, role, organisation, active. Deactivating takes effect
    at once: the user's sessions and tokens are refused from the next request on."""
    user = get_user(actor, user_id)
    # two admins editing one account at once: the second checks role and organisation
    # against what the first saved
    lock_row(user)
    before = user_values(user)
    values = before | {name: changes[name] for name in EDITABLE_FIELDS if name in changes}
    role, organization = _checked_update(actor, user, values)
    user.name = (values["name"] or "").strip()
    user.role = role
    user.organization = organization
    user.active = values["active"]
    db.session.flush()  # sets organization_id from the organisation
    after = user_values(user)
    changed = {
        name: {"from": before[name], "to": after[name]}
        for name in after
        if before[name] != after[name]
    }
    if changed:
        audit.record(actor, "user", user.id, "update", changes=changed)
    return user


def _checked_update(actor: User, user: User, values: dict) -> tuple[Role, Organization | None]:
    """The new role and organisation, or ValidationFailed naming every bad field. An admin
    cannot lock themselves out (deactivate their own account or drop their own admin role)."""
    errors: dict[str, Message] = {}
    if (message := check_text(values["name"], 100)) is not None:
        errors["name"] = message
    role = Role(values["role"]) if values["role"] in set(Role) else None
    if role is None:
        errors["role"] = Message(N_("Choose admin, platform, sme or finance."))
    if not isinstance(values["active"], bool):
        errors["active"] = Message(N_("Give true or false."))
    organization = None
    if values["organization_id"] is not None:
        organization = db.session.get(Organization, values["organization_id"])
        if organization is None:
            errors["organization_id"] = Message(N_("Unknown organisation."))
    checkable = role is not None and "organization_id" not in errors
    if checkable and (mismatch := _organization_error(role, organization)) is not None:
        errors["organization_id"] = mismatch
    if user.id == actor.id and (values["active"] is not True or role != Role.ADMIN):
        errors["active" if values["active"] is not True else "role"] = Message(
            N_("You cannot deactivate your own account or take away your own admin role.")
        )
    if errors:
        raise ValidationFailed(errors)
    return role, organization


@dataclass(frozen=True)
class SignInRefused(Exception):
    """Why a sign-in failed: `wrong` (e-mail or password, the same answer for both), `locked`
    or `inactive`."""

    reason: str


def authenticate(email: str, password: str, *, lock_after: int) -> User:
    """The user with these credentials, or SignInRefused.

    An unknown e-mail address costs a password check too, so that the answer takes as long as
    for a known one. `lock_after` wrong passwords in a row lock the account until an admin
    unlocks it; a locked account says so whatever password is sent, so that the answer does
    not tell a guesser that a password was right.
    """
    password = password or ""
    user = find_user(email)
    if user is None:
        check_dummy_password(password)
        raise SignInRefused("wrong")
    password_right = user.check_password(password)
    if user.is_locked:
        raise SignInRefused("locked")
    if not password_right:
        _count_failed_sign_in(user, lock_after)
        raise SignInRefused("locked" if user.is_locked else "wrong")
    if not user.is_active:
        raise SignInRefused("inactive")
    user.failed_sign_ins = 0
    return user


def _count_failed_sign_in(user: User, lock_after: int) -> None:
    """In the database, so that concurrent guesses all count."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_sign_ins=User.failed_sign_ins + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.failed_sign_ins >= lock_after, User.locked_at.is_(None))
        .values(locked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)


def unlock_user(actor: User | None, user: User) -> None:
    """An admin (or the CLI, actor None) lifts a lockout."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if user.locked_at is not None:
        audit.record(actor, "user", user.id, "unlock", from_state="locked", to_state="active")
    user.locked_at = None
    user.failed_sign_ins = 0


def end_sessions(user: User) -> None:
    """Every session signed in before now stops working (sign-out, a copied cookie)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)


def user_for_session(session_id: str) -> User | None:
    """The user a session's id names, if the session is of the user's current generation and the
    account is active: deactivating an account (or suspending its organisation) ends its
    sessions at the next request."""
    user_id, _, generation = (session_id or "").partition(".")
    if not (user_id.isdigit() and generation.isdigit()) or len(user_id) > 9:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_generation != int(generation) or not user.is_active:
        return None
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
