"""Request bodies are small (MAX_REQUEST_BYTES) unless the route takes an upload: what a worker
parses, it holds, so a large form or JSON body is refused with 413 before anything reads it,
while a photo or a production calendar may still be as large as its own limit."""

import io
import random
from datetime import timedelta

from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from equipment_share.extensions import db
from equipment_share.models import Equipment, ProductionRun
from tests.clock import today
from tests.conftest import count_rows
from tests.web.conftest import page_text
from tests.web.test_manage import upload


def over_the_limit(app) -> int:
    return app.config["MAX_REQUEST_BYTES"] + 1024


def test_a_json_body_over_the_limit_is_refused_unread(app, client, make_user, api_headers):
    user = make_user("platform")
    body = b'{"name": "' + b"a" * over_the_limit(app) + b'"}'

    response = client.post(
        "/api/v1/equipment",
        data=body,
        headers=api_headers(user) | {"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert count_rows(Equipment) == 0


def test_a_form_over_the_limit_is_refused(app, client, english):
    fields = b"&".join([b"a=bbbb"] * (over_the_limit(app) // 6))

    response = client.post("/login", data=fields, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "The upload is too large." in page_text(response)


def test_a_photo_larger_than_other_bodies_is_accepted(
    app, client, platform_user, make_equipment, login
):
    equipment = make_equipment(platform_user.organization)
    login(platform_user)
    noise = random.Random(13).randbytes(350 * 350 * 3)
    output = io.BytesIO()
    Image.frombytes("RGB", (350, 350), noise).save(output, format="PNG")
    assert len(output.getvalue()) > over_the_limit(app)

    # encoded here, in memory: the test client would spool it to a temporary file left open
    photo = FileStorage(io.BytesIO(output.getvalue()), "noise.png")
    boundary, body = encode_multipart(upload(equipment, b"", "") | {"photo": photo})

    response = client.post(
        f"/manage/equipment/{equipment.id}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).photo_filename.endswith(".png")


def test_a_calendar_larger_than_other_bodies_is_accepted(
    app, client, platform_user, make_equipment, api_headers
):
    equipment = make_equipment(platform_user.organization)
    day = today() + timedelta(days=2)
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:run-{number}@tests\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{day:%Y%m%d}T{number % 24:02d}0000Z\r\nDURATION:PT30M\r\n"
        f"DESCRIPTION:{'x' * 200}\r\nEND:VEVENT\r\n"
        for number in range(1200)
    )
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n{events}END:VCALENDAR\r\n"
    assert len(data) > over_the_limit(app)

    response = client.post(
        f"/api/v1/equipment/{equipment.id}/production-calendar",
        data=data.encode(),
        headers=api_headers(platform_user) | {"Content-Type": "text/calendar"},
    )

    assert response.status_code == 200, response.get_json()
    assert count_rows(ProductionRun) == response.get_json()["runs"] > 0
