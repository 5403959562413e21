"""The Simplified Chinese catalogue: complete, faithful to its placeholders, compiled, and served.

When a test here fails after you marked a new string: run scripts/update_translations.sh, translate
the empty and fuzzy entries it leaves in the .po file, and run the script again.
"""

import re
from collections import defaultdict
from io import BytesIO
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from equipment_share.config import DEFAULTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = PROJECT_ROOT / "equipment_share" / "translations"
# Flask-Babel looks a locale up under str(Locale.parse(code)): zh_CN is read from zh_Hans_CN/.
CATALOGUE_DIRECTORY = TRANSLATIONS / str(Locale.parse(DEFAULTS["BABEL_DEFAULT_LOCALE"]))
PO_FILE = CATALOGUE_DIRECTORY / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Python %-format conversions, named or not, with flags, width and precision; "%%" included.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def read_catalogue():
    with PO_FILE.open("rb") as po:
        return read_po(po)


def extracted_messages() -> dict[tuple[str, str | None], list[str]]:
    """(msgid, context) -> where it is used, exactly as pybabel extract finds it with babel.cfg."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found = defaultdict(list)
    for filename, lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        found[msgid, context].append(f"{filename}:{lineno}")
    return found


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def test_catalogue_is_where_flask_babel_looks_for_it():
    assert PO_FILE.is_file(), f"{PO_FILE} is missing"
    assert MO_FILE.is_file(), f"{MO_FILE} is missing: run scripts/update_translations.sh"
    catalogue = read_catalogue()
    assert catalogue.num_plurals == 1, "Chinese has one plural form"


def test_every_marked_string_is_translated():
    catalogue = read_catalogue()
    extracted = extracted_messages()
    assert len(extracted) > 100, "extraction found too little: is babel.cfg right?"
    problems = []
    for (msgid, context), places in sorted(extracted.items()):
        where = ", ".join(places[:3])
        entry = catalogue.get(msgid, context)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        elif not all(forms(entry.string)):
            problems.append(f"untranslated: {msgid!r} ({where})")
    assert not problems, (
        f"{len(problems)} string(s) need a translation in {PO_FILE.relative_to(PROJECT_ROOT)} "
        "(run scripts/update_translations.sh, translate, run it again):\n" + "\n".join(problems)
    )


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = []
    for entry in read_catalogue():
        if not entry.id:
            continue
        expected = sorted(set().union(*(placeholders(msgid) for msgid in forms(entry.id))))
        for translation in forms(entry.string):
            if not translation:
                continue
            found = placeholders(translation)
            # A lone "%" breaks rendering too: Jinja's newstyle gettext always applies "%".
            stray = "%" in PLACEHOLDER.sub("", translation)
            if sorted(set(found)) != expected or stray:
                problems.append(f"{forms(entry.id)[0]!r}: expected {expected}, got {translation!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def compiled_messages(catalogue) -> dict:
    return {
        (forms(message.id), message.context): forms(message.string)
        for message in catalogue
        if message.id
    }


def test_compiled_catalogue_matches_the_po_file():
    compiled = BytesIO()
    write_mo(compiled, read_catalogue())
    compiled.seek(0)
    expected = read_mo(compiled)
    with MO_FILE.open("rb") as mo:
        shipped = read_mo(mo)
    assert shipped.plural_forms == expected.plural_forms
    assert compiled_messages(shipped) == compiled_messages(expected), (
        f"{MO_FILE.relative_to(PROJECT_ROOT)} is stale: run scripts/update_translations.sh"
    )


@pytest.mark.parametrize(
    ("cookie", "expected", "unexpected"),
    [
        (
            None,
            [
                '<html lang="zh-CN">',
                ">仪器设备</a>",
                ">登录</a>",
                "共 0 台仪器",
                ">化学分析</option>",
            ],
            [">Instruments</a>", ">Sign in</a>"],
        ),
        (
            "en",
            ['<html lang="en">', ">Instruments</a>", ">Sign in</a>", "0 instruments"],
            [">仪器设备</a>", ">登录</a>"],
        ),
    ],
    ids=["default-chinese", "english-cookie"],
)
def test_home_page_speaks_the_chosen_language(client, cookie, expected, unexpected):
    if cookie:
        client.set_cookie("language", cookie)
    page = client.get("/").get_data(as_text=True)
    for text in expected:
        assert text in page
    for text in unexpected:
        assert text not in page
