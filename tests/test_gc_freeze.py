"""A served app's own objects are left out of the garbage collector's full passes."""

import gc

from equipment_share import create_app


def test_a_served_app_is_frozen_for_the_collector(tmp_path, monkeypatch):
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(tmp_path))
    gc.unfreeze()
    try:
        create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_a_test_app_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(tmp_path))
    gc.unfreeze()
    create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert gc.get_freeze_count() == 0
