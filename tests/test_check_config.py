"""flask check-config: what is missing or unsafe for production."""

import pytest

from equipment_share.config_check import config_problems

SAFE = {
    "SECRET_KEY": "f" * 64,
    "DEBUG": False,
    "TESTING": False,
    "DATABASE_URL": "postgresql+psycopg://equipment_share@127.0.0.1/equipment_share",
    "SERVED_OVER_HTTPS": True,
    "TRUSTED_PROXIES": 1,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    "SESSION_IDLE_MINUTES": 60,
    "MAIL_SERVER": "smtp.lvliang.example",
}


@pytest.fixture
def safe(tmp_path) -> dict:
    return SAFE | {"UPLOAD_FOLDER": str(tmp_path / "uploads")}


def test_a_production_configuration_has_no_problems(safe):
    assert config_problems(safe) == []


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"SECRET_KEY": "dev"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-but-not-known"}, "SECRET_KEY"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"DEBUG": True}, "DEBUG"),
        ({"TESTING": True}, "TESTING"),
        ({"WTF_CSRF_ENABLED": False}, "WTF_CSRF_ENABLED"),
        ({"DATABASE_URL": "sqlite:////srv/equipment_share.sqlite3"}, "DATABASE_URL"),
        ({"SERVED_OVER_HTTPS": False}, "SERVED_OVER_HTTPS"),
        ({"RATELIMIT_ENABLED": False}, "RATELIMIT_ENABLED"),
        ({"UPLOAD_FOLDER": __file__ + "/uploads"}, "UPLOAD_FOLDER"),  # under a file
    ],
)
def test_unsafe_settings_are_errors(safe, changes, setting):
    problems = config_problems(safe | changes)

    assert [(problem.level, problem.setting) for problem in problems] == [("error", setting)]


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
        ({"MAIL_SERVER": None}, "MAIL_SERVER"),
        ({"SESSION_IDLE_MINUTES": 24 * 60}, "SESSION_IDLE_MINUTES"),
        ({"SERVED_OVER_HTTPS": False, "TRUSTED_PROXIES": 0}, "SERVED_OVER_HTTPS"),
    ],
)
def test_doubtful_settings_are_warnings(safe, changes, setting):
    problems = config_problems(safe | changes)

    assert [(problem.level, problem.setting) for problem in problems] == [("warning", setting)]


def test_the_command_reports_and_fails_on_errors(runner):
    result = runner.invoke(args=["check-config"])

    assert result.exit_code == 1
    assert "TESTING: testing mode is on" in result.output
    assert "SECRET_KEY" in result.output  # the tests' secret is short
    # the test database is made with create_all, not the migrations
    assert "run init-db" in result.output
