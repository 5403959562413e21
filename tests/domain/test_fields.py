from datetime import UTC, datetime, timedelta

import pytest

from equipment_share.domain.errors import Message, ValidationFailed
from equipment_share.domain.fields import REASON_MAX_LENGTH, check_interval, clean_reason

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
BACKWARDS = Message("The end must be after the start.")


@pytest.mark.parametrize(
    ("length", "max_days", "problem"),
    [
        (timedelta(hours=1), None, None),
        (timedelta(0), None, BACKWARDS),
        (timedelta(hours=-1), 14, BACKWARDS),
        (timedelta(days=14), 14, None),
        (
            timedelta(days=14, minutes=1),
            14,
            Message("The window may span at most %(days)d days.", {"days": 14}),
        ),
        (timedelta(days=400), None, None),
    ],
)
def test_check_interval(length, max_days, problem):
    assert check_interval(START, START + length, max_days=max_days) == problem


def test_check_interval_says_too_long_in_the_callers_words():
    problem = check_interval(
        START, START + timedelta(days=2), max_days=1, too_long="At most %(days)d days."
    )
    assert str(problem) == "At most 1 days."


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * (REASON_MAX_LENGTH + 1)])
def test_a_missing_or_too_long_reason_is_refused_on_its_field(reason):
    with pytest.raises(ValidationFailed) as refused:
        clean_reason(reason)
    assert set(refused.value.fields) == {"reason"}


def test_a_reason_is_kept_stripped():
    assert clean_reason("  sample not ready \n") == "sample not ready"
