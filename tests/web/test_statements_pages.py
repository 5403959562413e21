"""The statement page and its downloads: what each user sees, the period form, and the XLSX and
CSV files opened back and compared cell by cell with the statement the page shows.

The period is March 2026 (local days 1 to 31 in Asia/Shanghai)."""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from equipment_share.domain.statements import month_of
from equipment_share.models import OrganizationStatus
from equipment_share.services.statements import statement_for
from tests.statement_helpers import (
    RATE,
    SETUP,
    SHANGHAI,
    confirmed_use,
    disputed_use,
    local,
    no_show_charge,
    recorded_use,
    use_in_progress,
)
from tests.web.conftest import page_text

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
DAY = date(2026, 3, 10)
HEADERS = [
    "使用记录编号",
    "预约编号",
    "发生时间",
    "平台",
    "仪器",
    "类型",
    "开始",
    "结束",
    "计费分钟",
    "费用（元）",
    "状态",
]


@pytest.fixture
def platform_user(make_user, make_org):
    return make_user("platform", make_org("platform", name="煤炭创新平台"))


@pytest.fixture
def other_platform_user(make_user, make_org):
    return make_user("platform", make_org("platform", name="铸造平台"))


@pytest.fixture
def sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", name="吕梁新材料有限公司"))


@pytest.fixture
def other_sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", name='=HYPERLINK("http://evil.example")'))


@pytest.fixture
def records(platform_user, other_platform_user, sme_user, other_sme_user, make_equipment):
    """The SME's March: four records on two platforms' instruments, one in progress, one in
    April; and another SME's record on the same instrument."""
    xrd = make_equipment(
        platform_user.organization, name="X射线衍射仪", hourly_rate=RATE, setup_fee=SETUP
    )
    furnace = make_equipment(other_platform_user.organization, name="真空炉", hourly_rate="80.00")
    return {
        "confirmed": confirmed_use(platform_user, sme_user, xrd, local(DAY, 9)),
        "disputed": disputed_use(platform_user, sme_user, xrd, local(DAY, 14), hours=1),
        "furnace": recorded_use(other_platform_user, sme_user, furnace, local(DAY, 9), hours=3),
        "no_show": no_show_charge(platform_user, sme_user, xrd, local(date(2026, 3, 31), 20)),
        "in_progress": use_in_progress(platform_user, sme_user, xrd, local(date(2026, 3, 12), 9)),
        "april": recorded_use(platform_user, sme_user, xrd, local(date(2026, 4, 1))),
        "other_sme": recorded_use(platform_user, other_sme_user, xrd, local(DAY, 17)),
    }


def march_statement(user, organization_id):
    return statement_for(user, organization_id, local(date(2026, 3, 1)), local(date(2026, 4, 1)))


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def test_an_sme_sees_its_statement_grouped_with_subtotals_and_total(
    client, english, login, sme_user, platform_user, records
):
    login(sme_user)

    response = client.get("/statements", query_string=MARCH)

    assert response.status_code == 200
    html = page_text(response)
    shown = re.findall(r'id="usage-(\d+)"', html)
    assert sorted(map(int, shown)) == sorted(
        records[name].id for name in ("confirmed", "disputed", "furnace", "no_show")
    )
    text = words(response)
    # billable minutes, then fees: 360 + 210 + 240 + the 90 no-show charge (0 minutes)
    assert "Total 360 ¥900.00" in text
    assert "煤炭创新平台 180 ¥660.00" in text and "铸造平台 180 ¥240.00" in text
    assert "X射线衍射仪 180 ¥660.00" in text
    assert "of which disputed ¥210.00" in text
    assert "1 use in this period is still in progress" in text
    assert "=HYPERLINK" not in html  # another SME's record on the same instrument
    assert 'href="/statements.xlsx?organization_id=' in html


def test_the_period_defaults_to_the_current_month(client, login, sme_user):
    login(sme_user)

    html = page_text(client.get("/statements"))

    first, last = month_of(datetime.now(SHANGHAI).date())
    assert f'name="from" type="date" value="{first.isoformat()}"' in html
    assert f'name="to" type="date" value="{last.isoformat()}"' in html


@pytest.mark.parametrize("viewer", ["sme", "platform", "finance"])
def test_the_statement_opens_on_the_month_of_the_latest_usage(
    client, login, make_user, sme_user, platform_user, records, viewer
):
    users = {"sme": sme_user, "platform": platform_user, "finance": make_user("finance")}
    login(users[viewer])
    query = {"organization_id": sme_user.organization_id} if viewer == "finance" else {}

    html = page_text(client.get("/statements", query_string=query))

    assert 'name="from" type="date" value="2026-04-01"' in html
    assert 'name="to" type="date" value="2026-04-30"' in html
    assert re.findall(r'id="usage-(\d+)"', html) == [str(records["april"].id)]


def test_a_platform_sees_its_earnings_by_sme(client, login, platform_user, sme_user, records):
    login(platform_user)

    html = page_text(client.get("/statements", query_string=MARCH))

    groups = re.findall(r'<tbody class="statement-group" id="group-(\d+)"', html)
    assert sorted(map(int, groups)) == sorted(
        [sme_user.organization_id, records["other_sme"].organization_id]
    )
    assert f'id="usage-{records["furnace"].id}"' not in html  # the other platform's


@pytest.mark.parametrize(
    ("viewer", "owner"),
    [
        ("other_sme_user", "sme_user"),
        ("platform_user", "sme_user"),
        ("sme_user", "platform_user"),
        ("other_platform_user", "platform_user"),
    ],
)
@pytest.mark.parametrize("path", ["/statements", "/statements.xlsx", "/statements.csv"])
def test_another_organisation_s_statement_is_not_found(
    request, client, login, records, viewer, owner, path
):
    login(request.getfixturevalue(viewer))
    organization_id = request.getfixturevalue(owner).organization_id

    response = client.get(path, query_string=MARCH | {"organization_id": organization_id})

    assert response.status_code == 404
    assert "吕梁新材料" not in page_text(response)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/statements").status_code == 302
    assert client.get("/statements.csv").status_code == 302


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_choose_the_organisation(
    role, client, english, login, make_user, make_org, sme_user, platform_user, records
):
    pending = make_org("sme", status=OrganizationStatus.PENDING, name="待审核企业")
    login(make_user(role))

    chooser = client.get("/statements", query_string=MARCH)
    chosen = client.get(
        "/statements", query_string=MARCH | {"organization_id": platform_user.organization_id}
    )

    assert "Choose an organisation to see its statement." in words(chooser)
    options = re.findall(r'<option value="(\d+)"', page_text(chooser))
    assert str(sme_user.organization_id) in options and str(pending.id) not in options
    assert "Fees earned from enterprises" in words(chosen)
    assert "Total 300 ¥1,020.00" in words(chosen)  # 360 + 210 + 90, and the other SME's 360
    assert client.get("/statements.xlsx", query_string=MARCH).status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "The last day must not be before the first."),
        ({"from": "2026-01-01", "to": "2027-06-30"}, "A statement covers at most 366 days."),
        ({"from": "2026-13-01", "to": "2026-03-31"}, "Not a valid date value."),
    ],
)
def test_a_bad_period_is_explained_and_no_statement_shown(
    client, english, login, sme_user, records, query, message
):
    login(sme_user)

    response = client.get("/statements", query_string=query)
    download = client.get("/statements.csv", query_string=query)

    assert response.status_code == 422
    assert message in words(response)
    assert 'id="usage-' not in page_text(response)
    assert download.status_code == 422
    assert message in words(download)


@pytest.mark.parametrize("role", ["sme", "platform", "finance", "admin"])
def test_the_navigation_links_to_statements(client, login, make_user, role):
    login(make_user(role))

    assert 'href="/statements"' in page_text(client.get("/"))


# --- downloads ---


def xlsx_sheets(response):
    workbook = load_workbook(io.BytesIO(response.data))
    return workbook["对账单"], workbook["分组小计"]


def row_values(sheet, row: int, columns=len(HEADERS)) -> list:
    return [sheet.cell(row, column).value for column in range(1, columns + 1)]


def naive_local(moment):
    return None if moment is None else moment.astimezone(SHANGHAI).replace(tzinfo=None)


def money(value) -> str:
    """An XLSX number (int or float) back as the exact amount it was written as."""
    return f"{Decimal(str(value)):.2f}"


def test_the_xlsx_has_the_page_s_statement_cell_by_cell(client, login, sme_user, records):
    login(sme_user)
    statement = march_statement(sme_user, sme_user.organization_id)

    response = client.get("/statements.xlsx", query_string=MARCH)

    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=statement-{sme_user.organization_id}-2026-03-01-2026-03-31.xlsx"
    )
    lines, groups = xlsx_sheets(response)
    assert lines["A1"].value == "吕梁新材料有限公司 费用对账单（应付）"
    assert lines["A2"].value == "期间：2026-03-01 至 2026-03-31"
    assert row_values(lines, 4) == HEADERS
    assert lines.freeze_panes == "A5"
    assert lines.column_dimensions["E"].width == 30
    for row, line in enumerate(statement.lines, start=5):
        cells = row_values(lines, row)
        assert cells == [
            line.usage_id,
            line.booking_id,
            naive_local(line.occurred_at),
            line.counterparty_name,
            line.equipment_name,
            {"usage": "使用", "no_show": "未到场收费"}[line.kind.value],
            naive_local(line.actual_start),
            naive_local(line.actual_end),
            line.billable_minutes,
            cells[9],
            {"recorded": "待确认", "disputed": "有异议", "confirmed": "已确认"}[line.status.value],
        ]
        assert Decimal(str(cells[9])) == line.fee
        assert lines.cell(row, 10).number_format == "#,##0.00"
        assert lines.cell(row, 3).number_format == "yyyy-mm-dd hh:mm"
        assert lines.cell(row, 3).is_date
    no_show_row = 5 + [line.usage_id for line in statement.lines].index(records["no_show"].id)
    assert row_values(lines, no_show_row)[6:8] == [None, None]
    total_row = 5 + len(statement.lines)
    assert row_values(lines, total_row) == [
        "合计",
        *[None] * 7,
        sum(line.billable_minutes for line in statement.lines),
        900,
        None,
    ]
    assert lines.cell(total_row, 10).number_format == "#,##0.00"
    assert [row_values(lines, total_row + n, 10)[::9] for n in (1, 2, 3)] == [
        ["其中待确认", 330],
        ["其中有异议", 210],
        ["其中已确认", 360],
    ]
    assert "1 条使用记录仍在进行中" in lines.cell(total_row + 4, 1).value
    assert [row_values(groups, row, 4) for row in range(1, groups.max_row + 1)] == [
        ["平台", "仪器", "笔数", "费用（元）"],
        ["煤炭创新平台", None, 3, 660],
        [None, "X射线衍射仪", 3, 660],
        ["铸造平台", None, 1, 240],
        [None, "真空炉", 1, 240],
        ["合计", None, 4, 900],
    ]


def test_the_csv_has_the_xlsx_table_rows_behind_a_bom(client, login, sme_user, records):
    login(sme_user)

    xlsx = client.get("/statements.xlsx", query_string=MARCH)
    response = client.get("/statements.csv", query_string=MARCH)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].endswith("-2026-03-01-2026-03-31.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    lines, _groups = xlsx_sheets(xlsx)
    table = [row_values(lines, row) for row in range(4, 4 + len(rows))]
    assert rows == [[as_csv(column, value) for column, value in enumerate(row)] for row in table]
    assert rows[0] == HEADERS
    assert rows[-1][0] == "合计" and rows[-1][9] == "900.00"
    assert {row[9] for row in rows[1:-1]} == {"360.00", "210.00", "240.00", "90.00"}


def as_csv(column: int, value) -> str:
    """An XLSX cell as the CSV writes it: money with two places, times to the minute."""
    if value is None:
        return ""
    if column == 9 and isinstance(value, int | float):
        return money(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def test_a_platform_s_files_name_the_smes_and_never_run_their_names_as_formulas(
    client, login, platform_user, other_sme_user, records
):
    login(platform_user)

    lines, groups = xlsx_sheets(client.get("/statements.xlsx", query_string=MARCH))
    rows = list(
        csv.reader(
            io.StringIO(client.get("/statements.csv", query_string=MARCH).data.decode("utf-8-sig"))
        )
    )

    assert lines["A1"].value == "煤炭创新平台 费用对账单（应收）"
    assert lines["D4"].value == "企业" and rows[0][3] == "企业"
    evil = other_sme_user.organization.name
    cells = [lines.cell(row, 4) for row in range(5, lines.max_row + 1)]
    assert any(cell.value == evil and cell.data_type == "s" for cell in cells)
    assert [f"'{evil}"] == [row[3] for row in rows if evil in row[3]]
    assert row_values(groups, 1, 3) == ["企业", "笔数", "费用（元）"]


def test_a_one_day_download_names_that_day(client, login, sme_user, records):
    login(sme_user)

    response = client.get(
        "/statements.csv", query_string={"from": "2026-03-10", "to": "2026-03-10"}
    )

    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert response.headers["Content-Disposition"].endswith("-2026-03-10-2026-03-10.csv")
    assert len(rows) == 2 + 3  # header, the three uses of the 10th, total
    assert rows[-1][9] == "810.00"
