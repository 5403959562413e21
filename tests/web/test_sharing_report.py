"""The annual sharing-evaluation report: page and XLSX, for the platform itself, finance, admin."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from equipment_share.extensions import db
from tests import metrics_helpers
from tests.web.conftest import page_text

march = metrics_helpers.march
YEAR = {"year": 2026}


@pytest.fixture
def valued(march):
    march.xrd.original_value = Decimal("1200000.00")
    march.xrd.purchase_year = 2019
    db.session.commit()
    return march


def row_cells(text: str, equipment_id: int) -> list[str]:
    row = text.split(f'id="report-row-{equipment_id}"', 1)[1].split("</tr>", 1)[0]
    return [cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]


def test_a_platform_reads_its_report(client, login, english, valued):
    login(valued.coal_user)

    response = client.get("/reports/sharing", query_string=YEAR)

    text = page_text(response)
    assert response.status_code == 200
    # XRD in 2026: 5 h in March and 2 h in April, both by SMEs; 360 + 510 + 90 + 360 in fees
    cells = row_cells(text, valued.xrd.id)
    assert cells[:5] == ["X射线衍射仪", "¥1,200,000.00", "2019", "yes", "yes"]
    assert cells[6:12] == ["7.00", "7.00", "100.00 %", "2", "¥1,320.00", "¥0.00"]
    # revenue rate: 1.5 × 1,320.00 ÷ 1,200,000.00 = 0.00165 → 0.0017 (0.17 %)
    assert cells[12:] == ["0.17 %", "below the national benchmark"]
    assert re.search(r'id="stat-users".*?>2<', text, re.S)
    assert re.search(r'id="stat-openness".*?>100.00 %<', text, re.S)
    assert f'id="report-row-{valued.furnace.id}"' not in text


def test_another_platform_s_report_is_not_found(client, login, march):
    login(march.coal_user)

    response = client.get(
        "/reports/sharing",
        query_string=YEAR | {"platform_id": march.foundry_user.organization_id},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_choose_the_platform(client, login, english, march, make_user, role):
    login(make_user(role))

    text = page_text(
        client.get(
            "/reports/sharing",
            query_string=YEAR | {"platform_id": march.foundry_user.organization_id},
        )
    )

    assert row_cells(text, march.furnace.id)[0] == "真空炉"


def test_smes_have_no_report(client, login, march):
    login(march.sme_a)

    assert client.get("/reports/sharing").status_code == 403


def test_the_xlsx_has_the_page_s_figures(client, login, valued):
    login(valued.coal_user)

    response = client.get("/reports/sharing.xlsx", query_string=YEAR)

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    xrd = rows["X射线衍射仪"]
    assert xrd[1] == 1200000  # original value
    assert (xrd[6], xrd[7], xrd[9], xrd[10]) == (7, 7, 2, 1320)
    assert rows["合计"][10] == 1420  # the SEM's 100.00 too


def test_a_name_that_looks_like_a_formula_stays_text(client, login, march):
    march.sem.name = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    login(march.coal_user)

    response = client.get("/reports/sharing.xlsx", query_string=YEAR)

    sheet = load_workbook(io.BytesIO(response.data)).active
    names = [row[0] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert '=HYPERLINK("http://evil.example")' in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
