"""Command-line tasks: demo data, users and API tokens."""

import hashlib
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    ApiToken,
    AuditEntry,
    Claim,
    Equipment,
    IdleSpan,
    IdleWindow,
    Organization,
    OrganizationKind,
    Role,
    UsageRecord,
    User,
    utcnow,
)
from equipment_share.services import booking_lists, bookings, idle_spans, rate_cards, usage
from equipment_share.services.catalogue import search_catalogue
from equipment_share.services.tokens import user_for_token
from tests.clock import SHANGHAI, local, next_weekday
from tests.conftest import count_rows

DEMO_PASSWORD = "lvliang-demo-2026"


def demo_counts() -> dict:
    def count(model, *conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))

    return {
        "platforms": count(Organization, Organization.kind == OrganizationKind.PLATFORM),
        "smes": count(Organization, Organization.kind == OrganizationKind.SME),
        "certified smes": count(Organization, Organization.tech_sme_certified.is_(True)),
        "instruments": count(Equipment),
        "idle windows": count(IdleWindow),
        **{f"{role.value} users": count(User, User.role == role) for role in Role},
    }


def test_demo_data_loads_once_however_often_it_runs(empty_app):
    runner = empty_app.test_cli_runner()

    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    counts = demo_counts()
    second = runner.invoke(args=["demo-data"])

    assert second.exit_code == 0, second.output
    assert (
        demo_counts()
        == counts
        == {
            "platforms": 4,
            "smes": 5,
            "certified smes": 3,
            "instruments": 20,
            "idle windows": 72,  # 16 with weekday daytimes (4 windows), 4 without (2)
            "admin users": 1,
            "finance users": 1,
            "platform users": 4,
            "sme users": 5,
        }
    )
    for organization in db.session.scalars(select(Organization)):
        assert uscc.is_valid(organization.uscc), organization.name
    for certified in db.session.scalars(
        select(Organization).where(Organization.tech_sme_certified.is_(True))
    ):
        assert certified.kind == OrganizationKind.SME
        assert certified.tech_sme_cert_no
    assert all(equipment.keywords for equipment in db.session.scalars(select(Equipment)))
    assert {item.name for item in db.session.scalars(search_catalogue(None, text="SEM"))} == {
        "扫描电子显微镜"
    }
    for output in (first.output, second.output):
        assert DEMO_PASSWORD in output
        for user in db.session.scalars(select(User)):
            assert user.email in output
    # the logins work
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    assert admin.check_password(DEMO_PASSWORD) and admin.is_active
    assert_demo_answers_the_obvious_questions()


def assert_demo_answers_the_obvious_questions():
    """What a new user tries first: a weekday morning is free on most instruments (evenings
    and weekends on all); the coal platform's inbox has bookings today, one ready to check in
    now, and a request to decide (added once, however often the command runs); the claims of
    earlier months are in every state."""
    tuesday = next_weekday(1)
    morning = search_catalogue(None, free=Interval(local(tuesday, 9), local(tuesday, 11)))
    free_in_the_morning = db.session.scalars(morning).all()
    assert len(free_in_the_morning) == 16
    assert len({equipment.platform_id for equipment in free_in_the_morning}) == 4
    saturday = search_catalogue(
        None,
        free=Interval(
            local(tuesday, 9) + timedelta(days=4), local(tuesday, 12) + timedelta(days=4)
        ),
    )
    assert len(db.session.scalars(saturday).all()) == 20

    coal = db.session.scalar(select(User).where(User.email == "coal@lvliang.example"))
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    listed = db.session.scalars(booking_lists.inbox(coal, now)).all()
    starting_today = [b for b in listed if b.start_at.astimezone(SHANGHAI).date() == today]
    assert len(starting_today) == 4
    assert {b.status for b in starting_today} == {BookingStatus.CONFIRMED}
    assert any(usage.may_check_in(coal, booking, now) for booking in starting_today)
    assert [b.status for b in listed].count(BookingStatus.PENDING) == 1
    assert set(db.session.scalars(select(Claim.status))) == set(ClaimStatus)


@pytest.fixture
def platform(app):
    organization = Organization(
        name="吕梁测试平台", kind=OrganizationKind.PLATFORM, status="approved", uscc=None
    )
    db.session.add(organization)
    db.session.commit()
    return organization


def test_create_user_with_password_and_organisation(runner, platform):
    result = runner.invoke(
        args=[
            "create-user",
            "Manager@Platform.example",
            "--role",
            "platform",
            "--org",
            "吕梁测试平台",
            "--name",
            "李经理",
            "--password",
            "a-good-password",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "manager@platform.example" in result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.organization, user.name) == (
        "manager@platform.example",
        Role.PLATFORM,
        platform,
        "李经理",
    )
    assert user.check_password("a-good-password")


def test_create_user_asks_for_a_missing_password(runner):
    result = runner.invoke(
        args=["create-user", "admin@test.example", "--role", "admin"],
        input="typed-password\ntyped-password\n",
    )

    assert result.exit_code == 0, result.output
    assert "typed-password" not in result.output  # hidden while typed
    user = db.session.scalar(select(User))
    assert user.role == Role.ADMIN
    assert user.check_password("typed-password")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody@test.example", "--role", "sme", "--org", "不存在"], "No organisation is named"),
        (["not-an-address", "--role", "finance"], "email"),
        (["short@test.example", "--role", "finance", "--password", "short"], "password"),
        (["sme@test.example", "--role", "sme"], "organization_id"),
        (["x@test.example", "--role", "root"], "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_input(runner, platform, arguments, message):
    if "--password" not in arguments:
        arguments = [*arguments, "--password", "a-good-password"]

    result = runner.invoke(args=["create-user", *arguments])

    assert result.exit_code != 0
    assert message in result.output
    assert count_rows(User) == 0


def test_create_user_refuses_a_taken_e_mail(runner, make_user):
    make_user("finance", email="taken@test.example")

    result = runner.invoke(
        args=[
            "create-user",
            "TAKEN@test.example",
            "--role",
            "admin",
            "--password",
            "long-enough-secret",
        ]
    )

    assert result.exit_code != 0
    assert count_rows(User) == 1


def test_create_token_prints_a_working_token_last(runner, make_user):
    user = make_user("sme")

    result = runner.invoke(args=["create-token", user.email.upper(), "--label", "LIMS"])

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert user_for_token(token).id == user.id
    stored = db.session.scalar(select(ApiToken))
    assert stored.label == "LIMS"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.label)


def test_create_token_for_an_unknown_user_fails(runner, app):
    result = runner.invoke(args=["create-token", "nobody@test.example"])

    assert result.exit_code != 0
    assert "nobody@test.example" in result.output
    assert count_rows(ApiToken) == 0


# --- daily jobs: auto-confirm, apply-rate-cards ---

USE_DAY = datetime.now(SHANGHAI).date() + timedelta(days=10)


def on_use_day(hour: int) -> datetime:
    return datetime.combine(USE_DAY, time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def recorded_use(make_org, make_user, make_equipment):
    """Make a recorded usage record whose last change was `days_ago` days ago."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=False)
    sme_user, platform_user = make_user("sme"), make_user("platform", platform)
    hours = iter(range(8, 20, 2))

    def record(days_ago: float, *, disputed: bool = False) -> UsageRecord:
        hour = next(hours)
        booking = bookings.create_booking(
            sme_user, equipment.id, on_use_day(hour), on_use_day(hour + 1)
        )
        used = usage.record_usage(
            platform_user, booking, on_use_day(hour), on_use_day(hour + 1), now=on_use_day(20)
        )
        if disputed:
            usage.dispute(sme_user, used, "we were not there that long")
        used.status_changed_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
        return used

    return record


def statuses(*records: UsageRecord) -> list[UsageStatus]:
    db.session.expire_all()
    return [db.session.get(UsageRecord, record.id).status for record in records]


def test_auto_confirm_confirms_records_left_unanswered_for_a_week(runner, recorded_use):
    old, disputed, young = recorded_use(8), recorded_use(8, disputed=True), recorded_use(6)

    result = runner.invoke(args=["auto-confirm"])

    assert result.exit_code == 0, result.output
    assert "Confirmed 1 usage record(s)" in result.output
    assert statuses(old, disputed, young) == [
        UsageStatus.CONFIRMED,
        UsageStatus.DISPUTED,
        UsageStatus.RECORDED,
    ]
    confirmed = db.session.get(UsageRecord, old.id)
    assert confirmed.confirmed_by_id is None
    assert confirmed.confirmed_automatically and confirmed.auto_confirmed
    assert not db.session.get(UsageRecord, young.id).confirmed_automatically
    assert utcnow() - confirmed.confirmed_at < timedelta(minutes=5)
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.object_type == "usage", AuditEntry.object_id == old.id)
        .order_by(AuditEntry.position.desc())
        .limit(1)
    )
    assert (entry.action, entry.actor_id, entry.from_state, entry.to_state) == (
        "auto_confirm",
        None,
        "recorded",
        "confirmed",
    )


def test_auto_confirm_days_come_from_the_option_or_the_setting(app, runner, recorded_use):
    two_days, four_days = recorded_use(2), recorded_use(4)

    result = runner.invoke(args=["auto-confirm", "--days", "3"])

    assert result.exit_code == 0, result.output
    assert "Confirmed 1 usage record(s)" in result.output
    assert statuses(two_days, four_days) == [UsageStatus.RECORDED, UsageStatus.CONFIRMED]

    app.config["USAGE_AUTO_CONFIRM_DAYS"] = 1
    result = runner.invoke(args=["auto-confirm"])

    assert "Confirmed 1 usage record(s)" in result.output
    assert statuses(two_days) == [UsageStatus.CONFIRMED]


def test_auto_confirm_refuses_negative_days_and_changes_nothing(runner, recorded_use):
    old = recorded_use(30)

    result = runner.invoke(args=["auto-confirm", "--days", "-1"])

    assert result.exit_code != 0
    assert "--days" in result.output
    assert statuses(old) == [UsageStatus.RECORDED]


def test_auto_confirm_with_nothing_due(runner, recorded_use):
    recorded_use(1)

    result = runner.invoke(args=["auto-confirm"])

    assert result.exit_code == 0, result.output
    assert "Confirmed 0 usage record(s)" in result.output


def test_apply_rate_cards_lists_a_scheduled_version_once_it_is_in_force(
    runner, make_org, make_user, make_equipment
):
    platform = make_org("platform")
    equipment = make_equipment(platform, hourly_rate="300.00", setup_fee="0.00")
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    card = {
        "hourly_rate": "450.00",
        "setup_fee": "20.00",
        "min_charge_minutes": 45,
        "billing_increment_minutes": 15,
    }
    version = rate_cards.add_version(make_user("platform", platform), equipment, card, tomorrow)
    db.session.commit()

    not_yet = runner.invoke(args=["apply-rate-cards"])

    assert not_yet.exit_code == 0, not_yet.output
    assert not_yet.output.startswith("0 instrument(s)")
    db.session.expire_all()
    assert equipment.hourly_rate == Decimal("300.00")

    # the day comes
    version.effective_from = utcnow()
    db.session.commit()
    applied = runner.invoke(args=["apply-rate-cards"])

    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith("1 instrument(s)")
    db.session.expire_all()
    assert (
        equipment.hourly_rate,
        equipment.setup_fee,
        equipment.min_charge_minutes,
        equipment.billing_increment_minutes,
    ) == (Decimal("450.00"), Decimal("20.00"), 45, 15)
    assert runner.invoke(args=["apply-rate-cards"]).output.startswith("0 instrument(s)")


def test_refresh_idle_spans_expands_the_coming_quarter(runner, make_equipment):
    equipment = make_equipment()  # idle every day 08:00-20:00

    result = runner.invoke(args=["refresh-idle-spans"])

    assert result.exit_code == 0, result.output
    period = idle_spans.coverage(db.session.connection())
    assert period.end - period.start == timedelta(days=idle_spans.COVERAGE_DAYS)
    spans = db.session.scalar(
        select(func.count()).select_from(IdleSpan).where(IdleSpan.equipment_id == equipment.id)
    )
    assert spans == idle_spans.COVERAGE_DAYS
    assert f"{spans} idle span(s)" in result.output
