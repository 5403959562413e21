"""Each role signs in, lands on its dashboard and reads it in Chinese and in English: the charts
are drawn (SVG with a title and axis labels in the page's language) and the figures shown."""

import pytest

from equipment_share.models import OrganizationStatus
from tests import metrics_helpers
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
march = metrics_helpers.march
MARCH = "from=2026-03-01&to=2026-03-31"

# role → (query, chart ids, a text each language must show)
DASHBOARDS = {
    "platform": (MARCH, ["chart-utilisation", "chart-hours", "chart-revenue"], "¥1,060.00"),
    "sme": (MARCH, ["chart-spend", "chart-sme-hours"], "¥550.00"),
    "finance": ("year=2026", ["chart-fund", "chart-paid", "chart-fees"], "¥1,580.00"),
    "admin": ("", [], "待审企业"),
}
WORDS = {
    "zh_CN": {"heading": "工作台", "month": "月份", "funding source": "资金来源"},
    "en": {"heading": "Dashboard", "month": "Month", "funding source": "Funding source"},
}


@pytest.fixture
def users(march, make_user, make_org):
    waiting = make_org("sme", name="待审企业", status=OrganizationStatus.PENDING)
    make_user("sme", waiting)
    return {
        "platform": march.coal_user,
        "sme": march.sme_a,
        "finance": make_user("finance"),
        "admin": make_user("admin"),
    }


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("role", list(DASHBOARDS))
def test_each_role_lands_on_its_dashboard(browser, live_server, users, role, language, shot):
    query, charts, figure = DASHBOARDS[role]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "language", "value": language, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", users[role].email)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{live_server}/dashboard")
        if query:
            page.goto(f"{live_server}/dashboard?{query}")

        words = WORDS[language]
        shot(page, "dashboard")
        assert page.locator("h1").first.inner_text() == words["heading"]
        assert figure in page.locator("main").inner_text()
        for chart_id in charts:
            chart = page.locator(f"#{chart_id}")
            svg = chart.locator("svg")
            assert svg.is_visible()
            assert svg.bounding_box()["width"] > 300
            assert (
                chart.locator("svg title").first.text_content() == chart.locator("h3").inner_text()
            )
            x_label = chart.locator("text.x-label").text_content()
            expected = words["funding source"] if chart_id == "chart-fund" else words["month"]
            assert x_label == expected
            assert chart.locator("table.chart-data tbody tr").count() >= 1
    finally:
        context.close()
