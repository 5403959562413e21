"""Keywords: what a person types in one box, and which lists the rules accept."""

import pytest

from equipment_share.domain.equipment import (
    MAX_KEYWORDS,
    check_keywords,
    clean_keywords,
    split_keywords,
)


@pytest.mark.parametrize(
    ("typed", "keywords"),
    [
        ("SEM, 扫描电镜, 扫描电子显微镜", ["SEM", "扫描电镜", "扫描电子显微镜"]),
        ("SEM，扫描电镜、扫描电子显微镜", ["SEM", "扫描电镜", "扫描电子显微镜"]),
        ("SEM;扫描电镜；EDS\nXRD\r\nBET", ["SEM", "扫描电镜", "EDS", "XRD", "BET"]),
        (" , ,, ", []),
        ("", []),
        (None, []),
        ("laser particle size", ["laser particle size"]),
    ],
)
def test_typed_keywords_are_split_at_any_comma_semicolon_or_line(typed, keywords):
    assert split_keywords(typed) == keywords


def test_clean_keywords_strips_drops_empty_and_keeps_each_once():
    assert clean_keywords([" SEM ", "", "sem", "扫描电镜", "Sem", "  "]) == ["SEM", "扫描电镜"]
    assert clean_keywords(None) == []


@pytest.mark.parametrize(
    "keywords",
    [None, [], ["SEM"], ["x" * 50], [f"k{number}" for number in range(MAX_KEYWORDS)]],
)
def test_acceptable_keyword_lists(keywords):
    assert check_keywords(keywords) is None


@pytest.mark.parametrize(
    "keywords",
    [
        "SEM",  # a text, not a list
        [1, 2],
        ["SEM", None],
        ["x" * 51],
        [f"k{number}" for number in range(MAX_KEYWORDS + 1)],
        ["SEM, TEM"],
        ["SEM\nTEM"],
        ["扫描电镜；透射电镜"],
    ],
)
def test_unacceptable_keyword_lists_say_why(keywords):
    assert check_keywords(keywords) is not None
