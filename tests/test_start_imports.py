"""What a web worker imports at start: not the libraries that only some requests or the command
line need (each costs megabytes of every worker; see docs/deployment.md)."""

import subprocess
import sys

from equipment_share import PROJECT_ROOT

NOT_AT_START = ("alembic", "flask_migrate", "openpyxl", "PIL", "schemathesis", "zxcvbn")


def run_python(code: str, tmp_path) -> str:
    environment = {"EQUIPMENT_SHARE_INSTANCE": str(tmp_path), "SECRET_KEY": "start-imports"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_app_starts_without_the_heavy_libraries_that_few_requests_need(tmp_path):
    code = (
        "import sys\n"
        "from equipment_share import create_app\n"
        "create_app()\n"
        f"print(sorted(name for name in {NOT_AT_START!r} if name in sys.modules))\n"
    )

    assert run_python(code, tmp_path).strip() == "[]"


def test_the_command_line_still_has_the_migration_commands(tmp_path):
    code = (
        "import sys\n"
        "from flask.cli import main\n"
        "sys.argv = ['flask', '--app', 'equipment_share', 'db', 'heads',"
        " '-d', 'equipment_share/migrations']\n"
        "main()\n"
    )

    assert "(head)" in run_python(code, tmp_path)
