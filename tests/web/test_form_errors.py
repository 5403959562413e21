"""Forms show their errors next to their fields (aria-invalid, aria-describedby naming the error,
the first invalid field focused by static/js/forms.js), empty uploads get a message, an idle
window ending before it starts is refused unless marked overnight, and no message shows an
internal code (weekday numbers, the iCalendar parser's own words)."""

import io
import re
from datetime import time

import pytest

from equipment_share.extensions import db
from equipment_share.models import IdleWindow, ProductionRun
from tests.conftest import count_rows
from tests.web.conftest import page_text
from tests.web.test_manage import PNG, form_data


@pytest.fixture
def manager(make_user, login):
    user = make_user("platform")
    login(user)
    return user


@pytest.fixture
def instrument(manager, make_equipment):
    """Idle only on Sundays 03:00-04:00 local, so new windows stand out."""
    return make_equipment(manager.organization, weekly=[((6,), time(3), time(4))])


def weekly_url(equipment) -> str:
    return f"/manage/equipment/{equipment.id}/idle-windows/weekly"


def input_tag(text: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', text)
    assert match, name
    return match.group(0)


def error_text(text: str, element_id: str) -> str:
    match = re.search(rf'<div class="field-errors" id="{re.escape(element_id)}">(.*?)</div>', text)
    assert match, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_an_end_before_the_start_is_refused_next_to_the_field(client, english, instrument):
    response = client.post(
        weekly_url(instrument),
        data={"weekly-weekdays": ["1"], "weekly-start_time": "18:00", "weekly-end_time": "08:00"},
    )

    assert response.status_code == 422
    text = page_text(response)
    end = input_tag(text, "weekly-end_time")
    assert 'aria-invalid="true"' in end
    assert 'aria-describedby="weekly-end_time-error"' in end
    assert error_text(text, "weekly-end_time-error").startswith("The end is before the start.")
    assert 'aria-invalid="true"' not in input_tag(text, "weekly-start_time")
    assert 'name="weekly-overnight"' in text  # the box that says it runs overnight
    assert count_rows(IdleWindow) == 1


@pytest.mark.parametrize(
    ("language", "next_day"), [("en", "22:00–06:00 (next day)"), ("zh_CN", "22:00–06:00 （次日）")]
)
def test_an_overnight_window_is_accepted_and_says_next_day(client, instrument, language, next_day):
    client.set_cookie("language", language)

    response = client.post(
        weekly_url(instrument),
        data={
            "weekly-weekdays": ["4"],
            "weekly-start_time": "22:00",
            "weekly-end_time": "06:00",
            "weekly-overnight": "y",
        },
    )

    assert response.status_code == 302
    assert count_rows(IdleWindow) == 2
    page = page_text(client.get(f"/manage/equipment/{instrument.id}"))
    assert next_day in " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_no_weekday_says_so_without_numbers(client, english, instrument):
    response = client.post(
        weekly_url(instrument), data={"weekly-start_time": "18:00", "weekly-end_time": "22:00"}
    )

    text = page_text(response)
    assert error_text(text, "weekly-weekdays-error") == "Choose at least one weekday."
    assert "0 = Monday" not in text
    assert re.search(r'<ul[^>]*aria-invalid="true"[^>]*id="weekly-weekdays"', text) or re.search(
        r'<ul[^>]*id="weekly-weekdays"[^>]*aria-invalid="true"', text
    )


def test_every_page_loads_the_script_that_focuses_the_first_error(client, english, instrument):
    text = page_text(client.get(f"/manage/equipment/{instrument.id}"))

    assert '<script src="/static/js/forms.js" defer></script>' in text
    with client.get("/static/js/forms.js") as response:
        script = response.get_data(as_text=True)
    assert "[aria-invalid='true']" in script and ".focus(" in script


# --- uploads ---


def test_an_empty_photo_gets_a_message(client, english, instrument):
    response = client.post(
        f"/manage/equipment/{instrument.id}",
        data=form_data(instrument) | {"photo": (io.BytesIO(b""), "empty.png")},
    )

    text = page_text(response)
    assert error_text(text, "photo-error") == "The file is empty: choose it again, or another file."
    assert 'aria-invalid="true"' in input_tag(text, "photo")
    db.session.expire_all()
    assert instrument.photo_filename is None


def test_a_good_photo_still_goes_through(client, english, instrument):
    response = client.post(
        f"/manage/equipment/{instrument.id}",
        data=form_data(instrument) | {"photo": (io.BytesIO(PNG), "p.png")},
    )

    assert response.status_code == 302


def calendar_upload(client, equipment, content: bytes, name: str = "plan.ics"):
    return client.post(
        f"/manage/equipment/{equipment.id}/production-calendar",
        data={"production-calendar": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_an_empty_calendar_gets_a_message(client, english, instrument):
    response = calendar_upload(client, instrument, b"")

    assert response.status_code == 422
    text = page_text(response)
    assert error_text(text, "production-calendar-error") == (
        "The file is empty: choose it again, or another file."
    )
    assert count_rows(ProductionRun) == 0


def test_no_calendar_chosen_says_so(client, english, instrument):
    response = client.post(
        f"/manage/equipment/{instrument.id}/production-calendar",
        data={"production-calendar": (io.BytesIO(b""), "")},
        content_type="multipart/form-data",
    )

    assert error_text(page_text(response), "production-calendar-error") == (
        "Choose the .ics file to upload."
    )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_broken_calendar_is_explained_in_the_readers_words(client, instrument, language):
    client.set_cookie("language", language)

    response = calendar_upload(client, instrument, b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n")

    assert response.status_code == 422
    text = page_text(response)
    message = error_text(text, "production-calendar-error")
    assert "BEGIN:VCALENDAR" not in message and "END:" not in message
    if language == "zh_CN":
        assert "iCalendar" in message and "重新导出" in message
    else:
        assert message.startswith("The file is not a valid iCalendar (.ics) file. Export")
    detail = re.search(r'<details[^>]*id="calendar-detail".*?</details>', text, re.S)
    assert detail  # the parser's words, for the IT staff, folded away


@pytest.mark.parametrize(
    ("role", "path", "field_id"),
    [
        ("admin", "/audit?start=2026-13-45", "start"),
        ("sme", "/statements?from=2026-13-01&to=2026-03-31", "from"),
        ("platform", "/dashboard?from=2026-13-01&to=2026-03-31", "from"),
    ],
)
def test_filter_forms_mark_the_field_that_did_not_parse(
    client, english, login, make_user, role, path, field_id
):
    login(make_user(role))

    text = page_text(client.get(path))

    field = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', text)
    assert field, field_id
    assert 'aria-invalid="true"' in field.group(0)
    assert f'aria-describedby="{field_id}-error"' in field.group(0)
    errors = re.search(
        rf'<span class="field-errors" id="{field_id}-error">(.*?)</span></span>', text
    )
    assert errors and "Not a valid date value." in errors.group(1)
    assert text.count('aria-invalid="true"') == 1


@pytest.mark.parametrize(
    ("language", "integer", "date"),
    [
        ("en", "Not a valid integer value.", "Not a valid date value."),
        ("zh_CN", "不是有效的整数。", "不是有效的日期值。"),
    ],
)
def test_plain_forms_answer_in_the_pages_language(
    client, login, make_user, language, integer, date
):
    """The audit filter is a plain WTForms form (a GET filter, no CSRF): its own messages are
    translated as FlaskForm's are."""
    login(make_user("admin"))
    client.set_cookie("language", language)

    text = page_text(client.get("/audit?object_id=abc&start=2026-13-45"))

    assert integer in text and date in text


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Invalid choice(s)"), ("zh_CN", "选择无效")],
)
def test_a_rows_own_messages_are_in_the_pages_language(
    client, manager, instrument, language, message
):
    """A rate card's window rows are FieldList sub-forms: a weekday that is no weekday is
    refused in the page's language."""
    from tests.web.test_rate_card_pages import new_version, url

    client.set_cookie("language", language)
    form = new_version(
        **{
            "rate_windows-0-weekdays": "funday",
            "rate_windows-0-start": "08:00",
            "rate_windows-0-end": "12:00",
            "rate_windows-0-hourly_rate": "100",
        }
    )

    response = client.post(url(instrument), data=form)

    assert response.status_code == 422
    assert message in page_text(response)
