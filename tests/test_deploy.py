"""The deployment files in deploy/ load, and keep the properties docs/deployment.md promises."""

import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

from equipment_share import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def unit(name: str) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_gunicorn_loads_its_config_and_the_app(tmp_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [
            str(gunicorn),
            "--check-config",
            "-c",
            "deploy/gunicorn.conf.py",
            "equipment_share:create_app()",
        ],
        cwd=PROJECT_ROOT,
        env={"EQUIPMENT_SHARE_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr


def test_the_app_unit_stops_the_whole_process_group_and_is_confined():
    service = unit("equipment-share.service")["Service"]

    assert service["KillMode"] == "control-group"
    assert service["User"] == "equipment_share"
    assert service["NoNewPrivileges"] == "true"
    assert "deploy/gunicorn.conf.py" in service["ExecStart"]


def test_every_timer_has_its_service():
    timers = sorted(path.stem for path in (DEPLOY / "systemd").glob("*.timer"))

    assert timers == ["equipment-share-daily", "equipment-share-mail"]
    for name in timers:
        assert (DEPLOY / "systemd" / f"{name}.service").exists()


def test_nginx_passes_what_the_app_trusts():
    proxy = (DEPLOY / "nginx" / "equipment-share-proxy.conf").read_text()
    site = (DEPLOY / "nginx" / "equipment-share.conf").read_text()

    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert header in proxy
    assert "return 301 https://" in site and "ssl_certificate" in site
