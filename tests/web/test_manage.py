"""A platform publishes and edits its instruments, their idle windows and photos."""

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from equipment_share.extensions import db
from equipment_share.models import Equipment, IdleWindow, IdleWindowKind, OutboxMessage
from equipment_share.services import bookings
from equipment_share.services.equipment import equipment_values
from tests.clock import SHANGHAI, local, next_weekday
from tests.conftest import count_rows
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")


def image_bytes(image_format: str, size=(3, 2), mode="RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, 200).save(output, format=image_format)
    return output.getvalue()


def served_image(response) -> Image.Image:
    return Image.open(io.BytesIO(response.get_data()))


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")

PUBLISHED = {
    "name": "扫描电子显微镜",
    "name_en": "Scanning electron microscope",
    "category": "microscopy",
    "model": "ZEISS Sigma 300",
    "location": "交城县经济开发区 3 号楼 101 室",
    "description": "场发射扫描电镜，可做能谱分析。",
    "hourly_rate": "800.50",
    "setup_fee": "120.00",
    "min_charge_minutes": "60",
    "billing_increment_minutes": "15",
    "slot_minutes": "15",
    "min_booking_minutes": "45",
    "max_booking_minutes": "240",
    "lead_time_hours": "48",
    "horizon_days": "90",
    "cancellation_deadline_hours": "12",
    "requires_approval": "y",
    "active": "y",
    "timezone": "Asia/Shanghai",
}


def form_data(equipment: Equipment, **changes) -> dict:
    """What the edit form sends back for an instrument, with some fields changed."""
    data = {}
    for name, value in equipment_values(equipment).items():
        if isinstance(value, bool):
            if value:
                data[name] = "y"  # a ticked box; an unticked one is not sent
        elif value is None:
            data[name] = ""  # an empty optional field
        elif isinstance(value, list):
            data[name] = ", ".join(value)  # keywords, in one box
        else:
            data[name] = str(value)
    return data | changes


@pytest.fixture
def platform_user(make_user, login):
    user = make_user("platform")
    login(user)
    return user


def test_platform_publishes_an_instrument_with_every_field(client, platform_user):
    response = client.post("/manage/equipment/new", data=PUBLISHED)

    assert response.status_code == 302
    equipment = db.session.scalar(db.select(Equipment))
    assert response.headers["Location"] == f"/manage/equipment/{equipment.id}"
    assert equipment.platform_id == platform_user.organization_id
    assert equipment.hourly_rate == Decimal("800.50")
    assert equipment.setup_fee == Decimal("120.00")
    for name in PUBLISHED:
        if name in ("hourly_rate", "setup_fee"):
            continue
        expected = PUBLISHED[name]
        if name in ("requires_approval", "active"):
            expected = True
        elif expected.isdigit():
            expected = int(expected)
        assert getattr(equipment, name) == expected, name

    catalogue = page_text(client.get("/"))
    client.post("/logout")
    public = page_text(client.get("/"))
    detail = page_text(client.get(f"/equipment/{equipment.id}"))

    for text in (catalogue, public):
        assert "Scanning electron microscope" in text  # the English name, on English pages
        assert "¥800.50" in text
    assert "扫描电子显微镜" in detail
    assert "ZEISS Sigma 300" in detail
    assert "交城县经济开发区 3 号楼 101 室" in detail
    assert "¥120.00" in detail


def test_unticked_boxes_are_saved_as_no(client, platform_user):
    data = {key: value for key, value in PUBLISHED.items() if key not in ("active",)}

    client.post("/manage/equipment/new", data=data | {"requires_approval": ""})

    equipment = db.session.scalar(db.select(Equipment))
    assert equipment.active is False
    assert equipment.requires_approval is False


def test_platform_lists_only_its_own_instruments(client, platform_user, make_equipment):
    make_equipment(platform_user.organization, name="我的仪器")
    make_equipment(name="别人的仪器")

    text = page_text(client.get("/manage/equipment"))

    assert "我的仪器" in text
    assert "别人的仪器" not in text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hourly_rate": "-1.00"}, "hourly_rate", "at least 0 with at most two decimals"),
        ({"hourly_rate": "1.234"}, "hourly_rate", "at least 0 with at most two decimals"),
        ({"hourly_rate": "abc"}, "hourly_rate", "at least 0 with at most two decimals"),
        ({"hourly_rate": ""}, "hourly_rate", "This field is required."),
        ({"setup_fee": "-0.01"}, "setup_fee", "at least 0 with at most two decimals"),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"name": "  "}, "name", "This field is required."),
        ({"category": "cooking"}, "category", "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a known time zone."),
        ({"timezone": "Asia"}, "timezone", "Not a known time zone."),
        ({"slot_minutes": "7"}, "slot_minutes", "The slot must divide a day evenly"),
        ({"min_booking_minutes": "45"}, "min_booking_minutes", "Must be a multiple of the slot"),
        ({"min_booking_minutes": "120", "max_booking_minutes": "60"}, "max_booking_minutes", ""),
        ({"horizon_days": "0"}, "horizon_days", "Must be between 1 and 730."),
        ({"lead_time_hours": "two"}, "lead_time_hours", "Not a valid integer value."),
    ],
)
def test_editing_with_bad_input_shows_the_error_and_changes_nothing(
    client, platform_user, make_equipment, changes, field, message
):
    equipment = make_equipment(platform_user.organization, name="原名", hourly_rate="300.00")
    before = form_data(equipment)

    response = client.post(f"/manage/equipment/{equipment.id}", data=before | changes)

    assert response.status_code in (200, 422)
    text = page_text(response)
    assert message in text
    assert re.search(rf'<div class="field [^"]*has-error">\s*<label for="{field}"', text)
    db.session.expire_all()
    assert form_data(db.session.get(Equipment, equipment.id)) == before


def test_publishing_with_bad_input_writes_nothing(client, platform_user):
    response = client.post("/manage/equipment/new", data=PUBLISHED | {"hourly_rate": "-5"})

    assert response.status_code in (200, 422)
    assert "at least 0 with at most two decimals" in page_text(response)
    assert count_rows(Equipment) == 0


def test_editing_saves_good_input(client, platform_user, make_equipment):
    equipment = make_equipment(platform_user.organization)

    response = client.post(
        f"/manage/equipment/{equipment.id}",
        data=form_data(equipment, name="新名字", hourly_rate="0.10"),
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert equipment.name == "新名字"
    assert equipment.hourly_rate == Decimal("0.10")


def test_another_platforms_instrument_is_forbidden(client, platform_user, make_equipment):
    other = make_equipment(name="别人的仪器")

    assert client.get(f"/manage/equipment/{other.id}").status_code == 403
    response = client.post(f"/manage/equipment/{other.id}", data=form_data(other, name="抢走"))

    assert response.status_code == 403
    db.session.expire_all()
    assert other.name == "别人的仪器"


def test_another_platforms_inactive_instrument_is_not_found(client, platform_user, make_equipment):
    hidden = make_equipment(active=False)

    assert client.get(f"/manage/equipment/{hidden.id}").status_code == 404
    assert client.post(f"/manage/equipment/{hidden.id}", data=form_data(hidden)).status_code == 404
    assert client.get(f"/equipment/{hidden.id}").status_code == 404


def test_own_inactive_instrument_can_be_edited(client, platform_user, make_equipment):
    equipment = make_equipment(platform_user.organization, active=False)

    assert client.get(f"/manage/equipment/{equipment.id}").status_code == 200
    assert client.get(f"/equipment/{equipment.id}").status_code == 200


def idle_list(client, equipment_id: int) -> str:
    text = page_text(client.get(f"/equipment/{equipment_id}"))
    return text[text.index('id="idle-time"') :]


@pytest.fixture
def quiet_equipment(platform_user, make_equipment):
    """An instrument idle only on Sundays 03:00-04:00 local, so new windows stand out."""
    return make_equipment(platform_user.organization, weekly=[((6,), time(3), time(4))])


def test_weekly_idle_window_added_on_the_page_shows_in_the_next_two_weeks(client, quiet_equipment):
    assert "18:00–22:00" not in idle_list(client, quiet_equipment.id)

    response = client.post(
        f"/manage/equipment/{quiet_equipment.id}/idle-windows/weekly",
        data={
            "weekly-weekdays": ["0", "1", "2", "3", "4", "5", "6"],
            "weekly-start_time": "18:00",
            "weekly-end_time": "22:00",
        },
    )

    assert response.status_code == 302
    window = quiet_equipment.idle_windows[-1]
    assert window.kind == IdleWindowKind.WEEKLY
    assert window.weekday_numbers == list(range(7))
    assert (window.start_time, window.end_time) == (time(18), time(22))
    listed = idle_list(client, quiet_equipment.id)
    # every day of the two weeks, today's perhaps cut short if it has begun
    assert listed.count("18:00–22:00") >= 13
    assert listed.count("03:00–04:00") >= 1


def test_one_off_idle_window_added_on_the_page_shows_in_the_next_two_weeks(client, quiet_equipment):
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date()

    response = client.post(
        f"/manage/equipment/{quiet_equipment.id}/idle-windows/once",
        data={"once-start": f"{day}T07:15", "once-end": f"{day}T09:45"},
    )

    assert response.status_code == 302
    window = quiet_equipment.idle_windows[-1]
    assert window.kind == IdleWindowKind.ONCE
    # entered in Shanghai wall-clock time, stored in UTC
    assert window.start_at == datetime.combine(day, time(7, 15), SHANGHAI)
    assert window.start_at.utcoffset() == timedelta(0)
    listed = idle_list(client, quiet_equipment.id)
    assert f"{day}" in listed
    assert "07:15–09:45" in listed


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "weekly",
            {"weekly-start_time": "18:00", "weekly-end_time": "22:00"},
            "Choose at least one weekday",
        ),
        (
            "weekly",
            {"weekly-weekdays": ["1"], "weekly-start_time": "18:00", "weekly-end_time": "18:00"},
            "The window must not be empty.",
        ),
        (
            "weekly",
            {
                "weekly-weekdays": ["1"],
                "weekly-start_time": "18:00",
                "weekly-end_time": "22:00",
                "weekly-valid_from": "2026-12-01",
                "weekly-valid_to": "2026-11-01",
            },
            "Must not be before the start date.",
        ),
        (
            "weekly",
            {"weekly-weekdays": ["9"], "weekly-start_time": "18:00", "weekly-end_time": "22:00"},
            "is not a valid choice",
        ),
        ("weekly", {"weekly-weekdays": ["1"], "weekly-start_time": "25:00"}, "Not a valid time"),
        (
            "once",
            {"once-start": "2026-12-01T10:00", "once-end": "2026-12-01T09:00"},
            "The end must be after the start.",
        ),
        (
            "once",
            {"once-start": "2026-12-01T10:00", "once-end": "2028-12-01T09:00"},
            "at most a year",
        ),
        ("once", {"once-start": "tomorrow", "once-end": ""}, "Not a valid datetime value"),
    ],
)
def test_bad_idle_window_shows_the_error_and_writes_nothing(
    client, quiet_equipment, url, data, message
):
    before = count_rows(IdleWindow)

    response = client.post(f"/manage/equipment/{quiet_equipment.id}/idle-windows/{url}", data=data)

    assert response.status_code == 422
    assert message in page_text(response)
    assert count_rows(IdleWindow) == before


def test_idle_window_is_removed_on_the_page(client, quiet_equipment):
    window = quiet_equipment.idle_windows[0]

    response = client.post(
        f"/manage/equipment/{quiet_equipment.id}/idle-windows/{window.id}/delete"
    )

    assert response.status_code == 302
    assert count_rows(IdleWindow) == 0
    assert "No idle time is published" in idle_list(client, quiet_equipment.id)


def test_another_platforms_idle_windows_cannot_be_changed(client, platform_user, make_equipment):
    other = make_equipment()
    window = other.idle_windows[0]

    added = client.post(
        f"/manage/equipment/{other.id}/idle-windows/weekly",
        data={"weekly-weekdays": ["1"], "weekly-start_time": "18:00", "weekly-end_time": "22:00"},
    )
    removed = client.post(f"/manage/equipment/{other.id}/idle-windows/{window.id}/delete")

    assert (added.status_code, removed.status_code) == (403, 403)
    assert count_rows(IdleWindow) == 1


def test_removing_an_unknown_idle_window_is_not_found(client, quiet_equipment):
    response = client.post(f"/manage/equipment/{quiet_equipment.id}/idle-windows/99999/delete")

    assert response.status_code == 404


def upload(equipment: Equipment, content: bytes, filename: str) -> dict:
    return form_data(equipment) | {"photo": (io.BytesIO(content), filename)}


def test_png_photo_is_accepted_and_served(client, platform_user, make_equipment, app):
    equipment = make_equipment(platform_user.organization)

    response = client.post(
        f"/manage/equipment/{equipment.id}",
        data=upload(equipment, PNG, "photo.png"),
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert equipment.photo_filename.endswith(".png")
    with client.get(f"/equipment/{equipment.id}/photo") as photo:
        assert photo.status_code == 200
        assert photo.mimetype == "image/png"
        assert photo.headers["X-Content-Type-Options"] == "nosniff"
        assert (served_image(photo).format, served_image(photo).size) == ("PNG", (3, 2))
    assert f"/equipment/{equipment.id}/photo" in page_text(client.get(f"/equipment/{equipment.id}"))


def test_photo_published_with_a_new_instrument(client, platform_user):
    data = PUBLISHED | {"photo": (io.BytesIO(PNG), "sem.png")}

    response = client.post("/manage/equipment/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 302
    equipment = db.session.scalar(db.select(Equipment))
    with client.get(f"/equipment/{equipment.id}/photo") as photo:
        assert served_image(photo).size == (3, 2)


def test_new_photo_replaces_the_old_file(client, platform_user, make_equipment, app, tmp_path):
    equipment = make_equipment(platform_user.organization)
    url = f"/manage/equipment/{equipment.id}"
    client.post(url, data=upload(equipment, PNG, "a.png"), content_type="multipart/form-data")
    first = db.session.get(Equipment, equipment.id).photo_filename
    client.post(url, data=upload(equipment, JPEG, "b.jpg"), content_type="multipart/form-data")

    db.session.expire_all()
    assert equipment.photo_filename.endswith(".jpg")
    assert sorted(path.name for path in (tmp_path / "uploads").iterdir()) == [
        equipment.photo_filename
    ]
    assert first != equipment.photo_filename


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"just some text, honestly\n", "photo.png", "Only JPEG, PNG or WebP photos"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "photo.svg", "Only JPEG, PNG or WebP"),
        (PNG + bytes(17 * 1024), "big.png", "The photo may be at most"),
        (b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "x.jpg", "Only JPEG, PNG"),
        (PNG[:40], "truncated.png", "Only JPEG, PNG or WebP"),
        (image_bytes("GIF"), "photo.gif", "Only JPEG, PNG or WebP"),
        (image_bytes("PNG", (6000, 5000), "1"), "bomb.png", "at most 24 megapixels"),
    ],
    ids=[
        "text renamed .png",
        "svg",
        "too large",
        "html after jpeg bytes",
        "truncated",
        "gif",
        "bomb",
    ],
)
def test_bad_photo_is_refused_and_nothing_is_stored(
    client, platform_user, make_equipment, app, monkeypatch, tmp_path, content, filename, message
):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 16 * 1024)
    equipment = make_equipment(platform_user.organization, name="原名")

    response = client.post(
        f"/manage/equipment/{equipment.id}",
        data=upload(equipment, content, filename) | {"name": "改名"},
        content_type="multipart/form-data",
    )

    assert response.status_code in (200, 422)
    assert message in page_text(response)
    db.session.expire_all()
    assert equipment.photo_filename is None
    assert equipment.name == "原名"  # the rest of the form is not saved either
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    assert client.get(f"/equipment/{equipment.id}/photo").status_code == 404


@pytest.mark.parametrize(
    ("image_format", "size", "stored"),
    # each within what its format may decode (services/photos.py, MAX_DECODED_PIXELS)
    [
        ("JPEG", (4800, 2400), (2400, 1200)),
        ("PNG", (2500, 800), (2400, 768)),
        ("WEBP", (2500, 480), (2400, 461)),
    ],
)
def test_photos_are_re_encoded_and_scaled_to_the_catalogue_size(
    client, platform_user, make_equipment, image_format, size, stored
):
    """Stored bytes are Pillow's own: trailing data (a polyglot's script) does not survive."""
    equipment = make_equipment(platform_user.organization)
    content = image_bytes(image_format, size) + b"<script>alert(1)</script>"

    client.post(
        f"/manage/equipment/{equipment.id}",
        data=upload(equipment, content, "photo"),
        content_type="multipart/form-data",
    )

    with client.get(f"/equipment/{equipment.id}/photo") as photo:
        assert b"<script>" not in photo.get_data()
        assert (served_image(photo).format, served_image(photo).size) == (image_format, stored)


def test_the_form_saves_original_value_and_purchase_year(client, platform_user, make_equipment):
    equipment = make_equipment(platform_user.organization)
    data = form_data(equipment, original_value="880000.00", purchase_year="2018")

    client.post(f"/manage/equipment/{equipment.id}", data=data)

    db.session.expire_all()
    saved = db.session.get(Equipment, equipment.id)
    assert (saved.original_value, saved.purchase_year) == (Decimal("880000.00"), 2018)


@pytest.fixture
def dependent_booking(platform_user, make_user, make_equipment):
    """A confirmed booking next Tuesday that only the instrument's one weekly window covers."""
    equipment = make_equipment(
        platform_user.organization, requires_approval=False, weekly=[((1,), time(8), time(12))]
    )
    tuesday = next_weekday(1)
    booking = bookings.create_booking(
        make_user("sme"), equipment.id, local(tuesday, 9), local(tuesday, 10), "tests"
    )
    db.session.commit()
    return booking


def withdraw_url(booking) -> str:
    window = booking.equipment.idle_windows[0]
    return f"/manage/equipment/{booking.equipment_id}/idle-windows/{window.id}/delete"


def test_withdrawing_a_window_bookings_depend_on_lists_them_and_changes_nothing(
    client, dependent_booking
):
    response = client.post(withdraw_url(dependent_booking))

    assert response.status_code == 409
    text = page_text(response)
    assert "1 upcoming booking depends on this idle window" in text
    assert f'id="booking-{dependent_booking.id}"' in text
    assert dependent_booking.organization.name in text
    assert 'name="force" value="1"' in text
    assert "Withdraw anyway and cancel these bookings" in text
    db.session.commit()  # see what the request wrote
    assert count_rows(IdleWindow) == 1
    assert db.session.get(type(dependent_booking), dependent_booking.id).status == "confirmed"


def test_withdrawing_a_window_anyway_cancels_its_bookings_with_notice(client, dependent_booking):
    mails_before = count_rows(OutboxMessage)

    response = client.post(withdraw_url(dependent_booking), data={"force": "1"})

    assert response.status_code == 302
    assert "1 booking was cancelled and its enterprise notified" in page_text(
        client.get(response.headers["Location"])
    )
    db.session.commit()
    booking = db.session.get(type(dependent_booking), dependent_booking.id)
    assert booking.status == "cancelled"
    assert "Idle window withdrawn" in booking.status_reason
    assert count_rows(IdleWindow) == 0
    assert count_rows(OutboxMessage) > mails_before


def test_the_form_trims_spaces_around_an_amount_and_a_zone(client, platform_user):
    """The API refuses " 800.50 " (domain/fields.py); a person typing it means 800.50."""
    data = PUBLISHED | {"hourly_rate": " 800.50 ", "setup_fee": "0 ", "timezone": " Asia/Urumqi"}

    response = client.post("/manage/equipment/new", data=data)

    assert response.status_code == 302
    equipment = db.session.scalar(db.select(Equipment))
    assert (equipment.hourly_rate, equipment.timezone) == (Decimal("800.50"), "Asia/Urumqi")


@pytest.mark.parametrize(
    ("field", "value"),
    [("hourly_rate", "1_000"), ("hourly_rate", "８００"), ("timezone", "Factory")],
)
def test_the_form_refuses_what_the_api_refuses(client, platform_user, field, value):
    response = client.post("/manage/equipment/new", data=PUBLISHED | {field: value})

    assert response.status_code in (200, 422)
    assert count_rows(Equipment) == 0
