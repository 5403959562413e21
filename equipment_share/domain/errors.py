"""Errors the business rules raise.

Messages are English msgids with %(name)s placeholders, kept apart from their values so the
presentation layer can translate the template first and fill it in after: the domain knows no
locale. `N_` only marks a string for extraction.
"""

from dataclasses import dataclass, field


def N_(message: str) -> str:
    return message


@dataclass(frozen=True)
class Message:
    template: str
    params: dict = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class DomainError(Exception):
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None, **params):
        self.message = Message(message, params)
        self.details = details or {}
        super().__init__(str(self.message))


class ValidationFailed(DomainError):
    """Input breaks a rule; `fields` maps each field to its Message."""

    code = "validation_error"

    def __init__(self, fields: dict[str, Message]):
        super().__init__(N_("Some fields are not valid."))
        self.fields = fields


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, message: str = N_("Not found.")):
        super().__init__(message)


class Forbidden(DomainError):
    code = "forbidden"

    def __init__(self, message: str = N_("You may not do this.")):
        super().__init__(message)


class InvalidState(DomainError):
    code = "invalid_state"


class BookingConflict(DomainError):
    code = "booking_conflict"


class OutsideIdleWindow(DomainError):
    code = "outside_idle_window"


class RuleViolation(DomainError):
    code = "rule_violation"


class PeriodLocked(DomainError):
    code = "period_locked"


class AlreadyClaimed(DomainError):
    code = "already_claimed"
