"""The invoice on a booking's usage panel: the platform records its number and date; a number
already on another record is refused with a message that says so, and nothing changes; the
enterprise sees the invoice but cannot record one."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import Invoice
from equipment_share.services import claims
from tests.conftest import count_rows
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import MARCH, make_policy, use_on
from tests.web.conftest import page_text


@pytest.fixture
def world(make_user, make_org, make_equipment):
    platform = make_user("platform", make_org("platform"))
    sme = make_user("sme", make_org("sme", tech_sme_certified=True))
    equipment = make_equipment(platform.organization, hourly_rate=RATE, setup_fee=SETUP)
    return SimpleNamespace(
        platform=platform,
        sme=sme,
        first=use_on(platform, sme, equipment, 2),
        second=use_on(platform, sme, equipment, 3),
    )


def post_invoice(client, record, number="14112026-0001", day="2026-03-05", **extra):
    return client.post(
        f"/usage/{record.id}/invoice",
        data={"invoice_no": number, "invoice_date": day, **extra},
        follow_redirects=True,
    )


def test_the_platform_records_the_invoice_on_the_booking_page(client, login, english, world):
    login(world.platform)
    page = page_text(client.get(f"/bookings/{world.first.booking_id}"))
    assert 'id="invoice-form"' in page and "Record the invoice" in page

    response = post_invoice(client, world.first)

    text = page_text(response)
    assert "Invoice 14112026-0001 of 2026-03-05 is recorded for this fee." in text
    assert 'id="invoice-recorded"' in text
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.usage_id, invoice.invoice_no, invoice.invoice_date) == (
        world.first.id,
        "14112026-0001",
        date(2026, 3, 5),
    )


def test_a_reused_number_is_refused_with_a_clear_message(client, login, english, world):
    login(world.platform)
    post_invoice(client, world.first)

    response = post_invoice(client, world.second)

    assert (
        "Invoice number 14112026-0001 is already recorded for another usage record."
        in page_text(response)
    )
    db.session.commit()
    assert count_rows(Invoice) == 1
    assert count_rows(Invoice, Invoice.usage_id == world.second.id) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": "  "}, "Invoice number:"),
        ({"day": "5 March"}, "Invoice date:"),
        ({"day": ""}, "Invoice date:"),
    ],
    ids=["no-number", "not-a-date", "no-date"],
)
def test_bad_input_is_flashed_and_nothing_is_written(client, login, english, world, data, message):
    login(world.platform)

    response = post_invoice(client, world.first, **data)

    assert 'class="flash flash-error"' in page_text(response)
    assert message in page_text(response)
    db.session.commit()
    assert count_rows(Invoice) == 0


def test_the_enterprise_sees_the_invoice_but_cannot_record_one(client, login, english, world):
    login(world.platform)
    post_invoice(client, world.first)
    login(world.sme)

    page = page_text(client.get(f"/bookings/{world.first.booking_id}"))
    assert "Invoice 14112026-0001 of 2026-03-05" in page
    assert 'id="invoice-form"' not in page
    response = post_invoice(client, world.second, number="SME-1")

    assert 'class="flash flash-error"' in page_text(response)
    db.session.commit()
    assert count_rows(Invoice) == 1


def test_another_platform_cannot_find_the_record(client, login, world, make_user):
    login(make_user("platform"))
    response = client.post(
        f"/usage/{world.first.id}/invoice",
        data={"invoice_no": "X-1", "invoice_date": "2026-03-05"},
    )
    assert response.status_code == 404
    db.session.commit()
    assert count_rows(Invoice) == 0


def test_the_invoice_of_a_submitted_claims_record_can_no_longer_change(
    client, login, english, world, make_user
):
    login(world.platform)
    post_invoice(client, world.first)
    finance = make_user("finance")
    make_policy(finance)
    claim = claims.draft_claim(world.sme, *MARCH)
    claims.submit(world.sme, claim.id)
    db.session.commit()

    page = page_text(client.get(f"/bookings/{world.first.booking_id}"))
    response = post_invoice(client, world.first, number="14112026-0999")

    assert "its invoice can no longer change" in page
    assert 'id="invoice-form"' not in page
    assert "its invoice can no longer change" in page_text(response)
    db.session.commit()
    assert db.session.scalar(select(Invoice.invoice_no)) == "14112026-0001"
