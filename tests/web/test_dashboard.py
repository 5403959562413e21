"""The landing page per role: the figures of the hand-computed month, charts with their tables,
period filters, and who sees what."""

import re
from datetime import date
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Budget
from tests import metrics_helpers
from tests.metrics_helpers import CITY, PROVINCE, claim
from tests.web.conftest import page_text

march = metrics_helpers.march
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def stat(text: str, stat_id: str) -> str:
    match = re.search(rf'id="{stat_id}".*?class="stat-value[^"]*">([^<]*)<', text, re.S)
    assert match, f"no {stat_id} on the page"
    return match.group(1).strip()


def chart_rows(text: str, chart_id: str) -> dict[str, list[str]]:
    """The data table beside a chart: category → the values of each series."""
    figure = text.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    table = figure.split("<tbody>", 1)[1]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', table, re.S)
    return {name: re.findall(r'<td class="num">([^<]*)</td>', cells) for name, cells in rows}


def test_signing_in_lands_on_the_dashboard(client, platform_user):
    from tests.conftest import PASSWORD

    response = client.post("/login", data={"email": platform_user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")


def test_the_dashboard_needs_a_signed_in_user(client):
    response = client.get("/dashboard")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_platform_sees_its_use_revenue_and_pending_work(client, login, english, march):
    login(march.coal_user)

    response = client.get("/dashboard", query_string=MARCH)

    text = page_text(response)
    assert response.status_code == 200
    assert stat(text, "stat-revenue") == "¥1,060.00"
    assert stat(text, "stat-used-hours") == "6.00"
    # checked in on 20 March and never checked out: its use is still to be recorded
    assert stat(text, "stat-to-record") == "1"
    assert stat(text, "stat-disputed") == "1"
    assert chart_rows(text, "chart-revenue") == {"2026-03": ["1,060.00"]}
    # 6 h used of 740 h idle (368 + 372)
    assert chart_rows(text, "chart-utilisation") == {"2026-03": ["0.81"]}
    assert chart_rows(text, "chart-hours") == {"2026-03": ["740.00", "6.00"]}
    assert "<svg" in text and "Utilisation of published idle time by month" in text
    assert f'id="instrument-{march.furnace.id}"' not in text  # the foundry's


def test_axis_labels_follow_the_language(client, login, march):
    login(march.coal_user)

    chinese = page_text(client.get("/dashboard", query_string=MARCH))
    client.set_cookie("language", "en")
    english = page_text(client.get("/dashboard", query_string=MARCH))

    assert 'class="axis-label x-label"' in chinese
    assert re.search(r'class="axis-label x-label"[^>]*>月份<', chinese)
    assert re.search(r'class="axis-label x-label"[^>]*>Month<', english)


def test_an_sme_sees_its_spend_subsidy_and_upcoming_bookings(client, login, english, march):
    claim(
        march,
        march.sme_a,
        "paid",
        [(march.records["xrd_a"], {PROVINCE: Decimal("108.00"), CITY: Decimal("72.00")})],
        paid_on=date(2026, 4, 10),
    )
    login(march.sme_a)

    text = page_text(client.get("/dashboard", query_string=MARCH))

    assert stat(text, "stat-spend") == "¥550.00"
    assert stat(text, "stat-subsidy-received") == "¥180.00"
    assert stat(text, "stat-subsidy-pending") == "¥0.00"
    assert chart_rows(text, "chart-spend") == {"2026-03": ["550.00"]}
    assert 'id="upcoming-bookings"' in text


def test_finance_sees_the_fund_of_the_year(client, login, english, march, make_user):
    claim(
        march,
        march.sme_a,
        "paid",
        [(march.records["xrd_a"], {PROVINCE: Decimal("108.00"), CITY: Decimal("72.00")})],
        paid_on=date(2026, 4, 10),
    )
    claim(
        march,
        march.sme_b,
        "submitted",
        [(march.records["furnace_b"], {PROVINCE: Decimal("48.00"), CITY: Decimal("32.00")})],
    )
    db.session.add(Budget(year=2026, source=PROVINCE, amount=Decimal("1000.00")))
    db.session.commit()
    login(make_user("finance"))

    text = page_text(client.get("/dashboard", query_string={"year": 2026}))

    assert stat(text, "stat-budget") == "¥1,000.00"
    assert stat(text, "stat-committed") == "¥80.00"
    assert stat(text, "stat-paid") == "¥180.00"
    assert stat(text, "stat-claim-queue") == "1"
    assert stat(text, "stat-fees") == "¥1,580.00"  # March and the 360.00 of April
    assert chart_rows(text, "chart-fund") == {
        CITY: ["0.00", "32.00", "72.00"],
        PROVINCE: ["1,000.00", "48.00", "108.00"],
    }
    assert chart_rows(text, "chart-paid")["2026-04"] == ["72.00", "108.00"]
    assert chart_rows(text, "chart-fees")["2026-03"] == ["1,220.00"]


def test_an_admin_sees_who_is_waiting(client, login, english, make_user, make_org):
    from equipment_share.models import OrganizationStatus

    waiting = make_org("sme", name="待审企业", status=OrganizationStatus.PENDING)
    make_user("sme", waiting, email="waiting@test.example")
    login(make_user("admin"))

    text = page_text(client.get("/dashboard"))

    assert "待审企业" in text
    assert "waiting@test.example" in text


@pytest.mark.parametrize(
    "query",
    [{"from": "2026-04-01", "to": "2026-03-01"}, {"from": "2024-01-01", "to": "2026-03-01"}],
)
def test_a_bad_period_is_shown_and_the_default_used(client, login, english, march, query):
    login(march.coal_user)

    response = client.get("/dashboard", query_string=query)

    assert response.status_code == 422
    assert 'class="error"' in page_text(response)


def test_a_bad_year_is_refused_with_a_message(client, login, english, make_user):
    login(make_user("finance"))

    response = client.get("/dashboard", query_string={"year": "1066"})

    assert response.status_code == 422
    assert "A year between 2000 and 2100 is required." in page_text(response)
