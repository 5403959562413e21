"""A POST over the size limit (MAX_CONTENT_LENGTH) to a page answers a 413 page, not a bare 500:
nothing on the way to that page may read the form again."""

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from equipment_share.extensions import db
from equipment_share.models import Equipment
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")


def too_large(app) -> bytes:
    return b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1024 * 1024)


def test_a_login_form_over_the_limit_is_a_413_page(app, client):
    response = client.post(
        "/login", data=too_large(app), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "The upload is too large." in page_text(response)


def test_a_photo_over_the_limit_is_a_413_page(app, client, make_user, make_equipment, login):
    user = make_user("platform")
    equipment = make_equipment(user.organization)
    login(user)

    # encoded here, in memory: the test client would spool a large body to a temporary file
    # that nobody closes once the app refuses to read it
    boundary, body = encode_multipart(
        {"name": "Renamed", "photo": FileStorage(io.BytesIO(too_large(app)), "big.png")}
    )

    response = client.post(
        f"/manage/equipment/{equipment.id}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 413
    assert "The upload is too large." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).name != "Renamed"
