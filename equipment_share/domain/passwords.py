"""The password policy: long enough, not a common password or an easy pattern, no control
characters. zxcvbn (Dropbox's estimator, with its lists of common passwords, names and words)
judges how easy a password is to guess."""

from equipment_share.domain.errors import N_, Message

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's scores run 0-4; 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length); the start of a longer
# password is judged
JUDGED_LENGTH = 72


def password_problem(password, user_inputs: tuple[str, ...] = ()) -> Message | None:
    """None for a good password, else what is wrong with it."""
    if not isinstance(password, str) or not (
        MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
    ):
        return Message(
            N_("The password needs %(min)d to %(max)d characters."),
            {"min": MIN_PASSWORD_LENGTH, "max": MAX_PASSWORD_LENGTH},
        )
    if any(ord(character) < 32 or ord(character) == 127 for character in password):
        return Message(N_("The password may not contain control characters."))
    inputs = [value for value in user_inputs if value]
    # only when a password is set: its word lists take about 12 MB of every process
    from zxcvbn import zxcvbn

    if zxcvbn(password[:JUDGED_LENGTH], user_inputs=inputs)["score"] < MIN_PASSWORD_SCORE:
        return Message(
            N_(
                "This password is too easy to guess (a common password, a word or a pattern): "
                "use a longer phrase."
            )
        )
    return None
