"""The audit page: admins and finance read every change newest first, filter by object, user and
period, page through; everyone else is turned away."""

import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry
from equipment_share.services import audit, audit_lists, bookings, usage
from equipment_share.services.users import update_user
from tests.clock import SHANGHAI
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.now(SHANGHAI).date()
USE_DAY = TODAY + timedelta(days=10)


def on_use_day(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(USE_DAY, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def story(make_org, make_user, make_equipment):
    """A booking requested by an SME, approved, used and disputed; and the instrument's first
    rate card, written by nobody (the system)."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user = make_user("sme", email="buyer@sme.example", name="Wang Fang")
    platform_user = make_user("platform", platform, email="desk@platform.example")
    booking = bookings.create_booking(sme_user, equipment.id, on_use_day(10), on_use_day(12))
    bookings.approve(platform_user, booking)
    record = usage.record_usage(
        platform_user, booking, on_use_day(10), on_use_day(12), now=on_use_day(13)
    )
    usage.dispute(sme_user, record, "we left at half past eleven")
    db.session.commit()
    return {
        "booking": booking,
        "record": record,
        "sme_user": sme_user,
        "platform_user": platform_user,
    }


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    login(user)
    return user


def positions(response) -> list[int]:
    return [int(number) for number in re.findall(r'<tr id="entry-(\d+)">', page_text(response))]


def entry_row(response, position: int) -> str:
    """The entry's row as HTML (up to the next entry's row or the end of the table)."""
    match = re.search(
        rf'<tr id="entry-{position}">(.*?)(?=<tr id="entry-|</tbody>\s*</table>\s*</div>)',
        page_text(response),
        re.DOTALL,
    )
    assert match, f"no entry {position}"
    return match.group(1)


def row_words(response, position: int) -> str:
    """The entry's row as the reader sees it: its text, tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", entry_row(response, position)).split())


def change_table(response, position: int) -> list[tuple[str, str, str]]:
    """(field, before, after) for each line of the entry's before/after table."""
    return [
        tuple(" ".join(cell.split()) for cell in cells)
        for cells in re.findall(
            r'<tr class="change"><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td></tr>',
            entry_row(response, position),
            re.DOTALL,
        )
    ]


def entries_where(*conditions) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(*conditions).order_by(AuditEntry.position.desc())
        )
    )


def test_admin_reads_every_entry_newest_first(client, admin, story):
    response = client.get("/audit")

    assert response.status_code == 200
    everything = entries_where()
    assert positions(response) == [entry.position for entry in everything]
    assert len(everything) == 6  # rate card, request, approval, completion, use, dispute


def test_each_row_says_who_did_what_to_which_object_and_why(client, admin, story):
    booking, record = story["booking"], story["record"]
    (request,) = entries_where(AuditEntry.object_type == "booking", AuditEntry.action == "create")
    (dispute,) = entries_where(AuditEntry.object_type == "usage", AuditEntry.action == "dispute")
    (first_card,) = entries_where(AuditEntry.object_type == "rate_card")

    response = client.get("/audit")

    requested = entry_row(response, request.position)
    assert "Wang Fang" in requested and "buyer@sme.example" in requested
    assert f'href="/bookings/{booking.id}"' in requested
    assert "pending" in requested
    disputed = entry_row(response, dispute.position)
    assert f"Usage record {record.id}" in disputed
    assert f'href="/bookings/{booking.id}"' in disputed  # the usage record's booking
    assert "we left at half past eleven" in disputed
    assert ("Status", "to be confirmed", "disputed") in change_table(response, dispute.position)
    (recorded,) = entries_where(AuditEntry.object_type == "usage", AuditEntry.action == "record")
    recorded_changes = change_table(response, recorded.position)
    assert ("Actual start", "—", f"{USE_DAY} 10:00:00") in recorded_changes
    assert ("Fee", "—", "¥600.00") in recorded_changes
    assert ("Billable minutes", "—", "120 min") in recorded_changes
    assert "system" in entry_row(response, first_card.position)
    assert ("Hourly rate", "", "¥300.00") in change_table(response, first_card.position)


def test_the_head_of_the_chain_is_shown_with_the_command_that_checks_it(client, admin, story):
    position, entry_hash = audit.head()

    text = page_text(client.get("/audit"))

    assert f"entry {position}, hash {entry_hash[:12]}…" in text
    assert entry_hash[:13] not in text
    assert "flask --app equipment_share verify-audit" in text


def test_filter_by_object_type_and_id(client, admin, story):
    record = story["record"]
    usage_entries = entries_where(AuditEntry.object_type == "usage")

    by_type = client.get("/audit?object_type=usage")
    by_object = client.get(f"/audit?object_type=usage&object_id={record.id}")
    nothing = client.get(f"/audit?object_type=usage&object_id={record.id + 1}")

    assert positions(by_type) == [entry.position for entry in usage_entries]
    assert positions(by_object) == [entry.position for entry in usage_entries]
    assert positions(nothing) == []
    assert "No entries match." in page_text(nothing)


def test_filter_by_user_email_or_id(client, admin, story):
    sme_user, platform_user = story["sme_user"], story["platform_user"]
    by_sme = [entry.position for entry in entries_where(AuditEntry.actor_id == sme_user.id)]
    by_platform = [
        entry.position for entry in entries_where(AuditEntry.actor_id == platform_user.id)
    ]
    assert by_sme and by_platform

    assert positions(client.get("/audit?user=BUYER@sme")) == by_sme
    assert positions(client.get(f"/audit?user={platform_user.id}")) == by_platform
    assert positions(client.get("/audit?user=%25")) == []  # a wildcard is just a character


def test_filter_by_period_in_local_dates(client, admin, story):
    everything = [entry.position for entry in entries_where()]
    today, yesterday, tomorrow = TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1)

    assert positions(client.get(f"/audit?start={today}&end={today}")) == everything
    assert positions(client.get(f"/audit?start={tomorrow}")) == []
    assert positions(client.get(f"/audit?end={yesterday}")) == []
    assert positions(client.get(f"/audit?start={yesterday}&end={tomorrow}")) == everything


def test_filters_that_do_not_parse_are_shown_and_ignored(client, admin, story):
    response = client.get("/audit?object_id=abc&start=2026-13-45&object_id=99999999999999")

    assert response.status_code == 200
    text = page_text(response)
    assert "Not a valid integer value." in text
    assert "Not a valid date value." in text
    assert "Number must be between" not in text  # about "abc": its parse error says it all
    assert positions(response) == [entry.position for entry in entries_where()]


def test_pages_keep_the_filters(client, admin, story):
    booking = story["booking"]
    for number in range(55):
        audit.record(None, "booking", booking.id, "note", reason=f"note {number}")
    db.session.commit()
    booking_entries = entries_where(AuditEntry.object_type == "booking")

    first = client.get("/audit?object_type=booking")

    assert positions(first) == [entry.position for entry in booking_entries[:50]]
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', page_text(first))
    assert next_link and "object_type=booking" in next_link.group(1)
    second = client.get(next_link.group(1))
    assert positions(second) == [entry.position for entry in booking_entries[50:]]


def test_finance_reads_the_log_too(client, make_user, login, story):
    login(make_user("finance"))

    response = client.get("/audit")

    assert response.status_code == 200
    assert len(positions(response)) == 6
    assert 'href="/audit"' in page_text(response)  # in the navigation
    assert "verify-audit" not in page_text(response)  # the command is for the operator


@pytest.mark.parametrize("role", ["sme", "platform"])
def test_smes_and_platforms_cannot_see_the_log(client, make_user, login, story, role):
    login(make_user(role))

    response = client.get("/audit")

    assert response.status_code == 403
    assert "we left at half past eleven" not in page_text(response)
    assert 'href="/audit"' not in page_text(client.get("/"))


def test_anonymous_visitors_sign_in_first(client):
    response = client.get("/audit")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_empty_log_says_so(client, admin):
    text = page_text(client.get("/audit"))

    assert "The audit log is empty." in text
    assert "No entries match." in text


def test_an_account_edit_is_read_in_words(client, admin, make_user):
    user = make_user("sme", name="张工")
    update_user(admin, user.id, {"active": False})
    db.session.commit()
    (edit,) = entries_where(AuditEntry.object_type == "user")

    response = client.get("/audit")

    words = row_words(response, edit.position)
    assert "User account 张工" in words
    assert "edited" in words
    assert change_table(response, edit.position) == [("Active", "yes", "no")]
    assert f'href="/admin/users/{user.id}"' in entry_row(response, edit.position)


def test_usage_states_are_words_in_the_readers_language(client, admin, story):
    client.set_cookie("language", "zh_CN")
    (dispute,) = entries_where(AuditEntry.object_type == "usage", AuditEntry.action == "dispute")

    response = client.get("/audit")

    assert "待确认 → 有异议" in row_words(response, dispute.position)
    assert ("状态", "待确认", "有异议") in change_table(response, dispute.position)


# --- words in the reader's language ---


@pytest.mark.parametrize(
    ("language", "booking_states", "claim_states", "status_word"),
    [
        ("en", "pending approval → confirmed", "submitted → approved", "Status"),
        ("zh_CN", "待审核 → 已确认", "已提交 → 已通过", "状态"),
    ],
)
def test_a_status_change_reads_as_words(
    client, admin, story, language, booking_states, claim_states, status_word
):
    approval = entries_where(AuditEntry.object_type == "booking", AuditEntry.action == "approve")[0]
    claim_entry = audit.record(
        admin, "claim", 7, "approve", from_state="submitted", to_state="approved"
    )
    db.session.commit()
    client.set_cookie("language", language)

    response = client.get("/audit")

    assert booking_states in row_words(response, approval.position)
    claim_row = row_words(response, claim_entry.position)
    assert claim_states in claim_row
    assert "submitted" not in claim_row if language == "zh_CN" else True
    assert 'href="/claims/7"' in entry_row(response, claim_entry.position)
    assert f">{status_word}<" in page_text(response)


def test_money_booleans_and_ids_are_words(client, admin, make_org, make_user):
    platform = make_org("platform", name="吕梁煤炭研究院")
    user = make_user("sme", name="李娜")
    entry = audit.record(
        admin,
        "user",
        user.id,
        "update",
        changes={
            "organization_id": {"from": None, "to": platform.id},
            "role": {"from": "sme", "to": "platform"},
            "active": {"from": True, "to": False},
        },
    )
    adjustment = audit.record(
        admin,
        "adjustment",
        3,
        "create",
        to_state="open",
        changes={
            "fee_delta": {"from": None, "to": "-1234.50"},
            "usage_id": {"from": None, "to": 9},
        },
    )
    db.session.commit()

    response = client.get("/audit")

    assert change_table(response, entry.position) == [
        ("Organisation", "—", "吕梁煤炭研究院"),
        ("Role", "SME", "Platform"),
        ("Active", "yes", "no"),
    ]
    assert change_table(response, adjustment.position) == [
        ("Fee change", "—", "-¥1,234.50"),
        ("Usage record", "—", "Usage record 9"),
    ]
    assert "open" in row_words(response, adjustment.position)


def test_finance_sees_account_names_without_links_to_the_admin_pages(
    client, make_user, login, story
):
    login(make_user("finance"))
    user = story["sme_user"]
    entry = audit.record(None, "user", user.id, "unlock", from_state="locked", to_state="active")
    db.session.commit()

    response = client.get("/audit")

    assert "User account Wang Fang" in row_words(response, entry.position)
    assert "locked → active" in row_words(response, entry.position)
    assert "/admin/users/" not in entry_row(response, entry.position)


# --- a big log, and the exports ---


def add_notes(booking_id: int, count: int) -> None:
    for number in range(count):
        audit.record(None, "booking", booking_id, "note", reason=f"note {number}")
    db.session.commit()


def test_a_big_log_paginates_and_says_how_many(client, admin, story):
    add_notes(story["booking"].id, 120)
    everything = [entry.position for entry in entries_where()]
    assert len(everything) == 126

    pages = [client.get(f"/audit?page={number}") for number in (1, 2, 3)]

    assert [len(positions(page)) for page in pages] == [50, 50, 26]
    assert sum((positions(page) for page in pages), []) == everything
    assert "126 entries" in page_text(pages[0])
    assert "3 / 3" in page_text(pages[2])
    assert positions(client.get("/audit?page=4")) == []


def csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_export_rows_match_the_filtered_page(client, admin, story, language):
    client.set_cookie("language", language)
    query = "object_type=usage"
    page = client.get(f"/audit?{query}")
    on_page = positions(page)
    assert len(on_page) == 2  # recorded, disputed: every usage entry, none of the others

    as_csv = client.get(f"/audit.csv?{query}")
    as_xlsx = client.get(f"/audit.xlsx?{query}")

    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["Content-Disposition"]
    header, *rows = csv_rows(as_csv)
    xlsx_header, *xlsx_body = xlsx_rows(as_xlsx)
    assert xlsx_header == header
    assert [int(row[0]) for row in rows] == on_page
    assert [[str(cell or "") for cell in row] for row in xlsx_body] == rows
    for row in rows:
        words = row_words(page, int(row[0]))
        when, who, what, states = row[1], row[2], row[5], row[6]
        assert when in words and who in words and what in words and states in words
    dispute_row = next(row for row in rows if "we left at half past eleven" in row)
    if language == "zh_CN":
        assert dispute_row[6] == "待确认 → 有异议"
        assert "状态：待确认 → 有异议" in dispute_row[8]
    else:
        assert dispute_row[6] == "to be confirmed → disputed"
        assert "Status: to be confirmed → disputed" in dispute_row[8]


def test_the_export_takes_every_page_in_batches(client, admin, story, monkeypatch):
    monkeypatch.setattr(audit_lists, "EXPORT_BATCH", 7)
    add_notes(story["booking"].id, 60)
    booking_entries = [e.position for e in entries_where(AuditEntry.object_type == "booking")]

    _header, *rows = csv_rows(client.get("/audit.csv?object_type=booking"))

    assert [int(row[0]) for row in rows] == booking_entries
    assert len(rows) == 63


def test_an_export_too_large_is_refused_with_a_message(client, admin, story, monkeypatch):
    monkeypatch.setattr("equipment_share.web.audit.MAX_EXPORT_ENTRIES", 2)

    response = client.get(f"/audit.xlsx?object_type=booking&start={TODAY}", follow_redirects=False)
    small = client.get("/audit.csv?object_type=usage")

    assert response.status_code == 302
    assert "/audit?" in response.headers["Location"]
    assert "object_type=booking" in response.headers["Location"]
    assert f"start={TODAY}" in response.headers["Location"]
    assert "3 entries match: at most 2 can be exported" in page_text(
        client.get(response.headers["Location"])
    )
    assert small.status_code == 200


def test_a_formula_in_a_reason_stays_text(client, admin, story):
    entry = audit.record(None, "booking", story["booking"].id, "cancel", reason="=1+1")
    db.session.commit()

    rows = csv_rows(client.get("/audit.csv"))
    (row,) = [row for row in rows if row[0] == str(entry.position)]
    sheet_rows = xlsx_rows(client.get("/audit.xlsx"))
    (sheet_row,) = [row for row in sheet_rows if row[0] == entry.position]

    assert row[7] == "'=1+1"
    assert sheet_row[7] == "=1+1"


@pytest.mark.parametrize("path", ["/audit.csv", "/audit.xlsx"])
@pytest.mark.parametrize("role", ["sme", "platform"])
def test_only_admin_and_finance_export(client, make_user, login, story, role, path):
    login(make_user(role))

    assert client.get(path).status_code == 403
