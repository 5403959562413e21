"""The OpenAPI document is written when first read, not when the app is made
(equipment_share.api.JsonApi): it must be the very document flask-smorest writes when the
blueprints are registered, byte for byte, wherever it is read."""

import json

from flask_smorest import Api

from equipment_share import create_app
from equipment_share.api import JsonApi
from equipment_share.extensions import db

DOCUMENT = "/api/v1/openapi.json"


def test_the_document_is_the_one_written_at_registration(client, app_config, monkeypatch):
    served = client.get(DOCUMENT)
    monkeypatch.setattr(JsonApi, "register_blueprint", Api.register_blueprint)
    eager_app = create_app(app_config)

    written_at_registration = eager_app.test_client().get(DOCUMENT)

    assert served.status_code == written_at_registration.status_code == 200
    assert served.get_data() == written_at_registration.get_data()
    assert len(served.get_json()["paths"]) > 50
    with eager_app.app_context():
        db.engine.dispose()


def test_the_document_is_the_same_when_read_again(client):
    first = client.get(DOCUMENT).get_data()

    assert client.get(DOCUMENT).get_data() == first


def test_the_command_line_prints_the_served_document(client, runner):
    served = client.get(DOCUMENT).get_json()

    printed = runner.invoke(args=["openapi", "print"])

    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == served
