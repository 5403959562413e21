"""Text no handler can store is refused at the edge, for pages and API alike: 400 bad_request.

PostgreSQL refuses a NUL character in text, and a lone surrogate ("\\ud800", which JSON can
spell) cannot be encoded as UTF-8 for either database; both used to surface as 500s wherever
the text reached a query. One request hook looks at everything a request carries as text (the
path, the query string, headers and cookies, form fields and file names, JSON strings and keys)
before any view runs, rather than a check per field. The JSON body is parsed here once, with
a depth limit, and the API's argument parser reads the same parse.
"""

import json
import re

from flask import Flask, request
from werkzeug.datastructures import MultiDict

from equipment_share.domain.errors import N_, DomainError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper than any body the API reads; far below the interpreter's recursion limit, which
# json.loads and marshmallow would otherwise hit (a RecursionError, answered 500).
MAX_JSON_DEPTH = 32
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_NOT_PARSED = object()
JSON_BODY_KEY = "equipment_share.json_body"  # in the WSGI environ: one request's, never the next


class InvalidRequest(DomainError):
    """The request is not shaped as the API reads it: not JSON, or a field of the wrong type."""

    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None, **params):
        super().__init__(message, details={"fields": fields} if fields else None, **params)


def unstorable_text() -> InvalidRequest:
    return InvalidRequest(
        N_(
            "The request contains a character that is not allowed in text (NUL or a lone surrogate)."
        )
    )


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def read_json_body():
    """The request's JSON body, parsed once per request; 400 when it is not JSON, nested too
    deeply, or holds text that cannot be stored."""
    parsed = request.environ.get(JSON_BODY_KEY, _NOT_PARSED)
    if parsed is _NOT_PARSED:
        parsed = request.environ[JSON_BODY_KEY] = parse_json(request.get_data(cache=True))
    return parsed


def parse_json(body: bytes):
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except RecursionError:
        raise too_deep() from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        raise InvalidRequest(N_("The body is not valid JSON.")) from None
    _check_json_value(data)
    return data


def too_deep() -> InvalidRequest:
    return InvalidRequest(
        N_("The body is nested more than %(depth)d levels deep."), depth=MAX_JSON_DEPTH
    )


def _check_json_value(data) -> None:
    """Walk without recursion: the depth limit, then every string and key."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise too_deep()
            children = value.values() if isinstance(value, dict) else value
            if isinstance(value, dict) and any(map(has_unstorable, value)):
                raise unstorable_text()
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(value, str) and has_unstorable(value):
            raise unstorable_text()


def request_texts() -> list[str]:
    """Everything the request carries as text: the path, the query's and
    the cookies' decoded names and values, the WSGI environ (header names and values as the
    server holds them, and the server's own strings, which cost less to search than to tell
    apart), and form fields and file names. Built as one list: a generator step per string
    cost more than the search (tests/test_request_text.py compares it with that way)."""
    environ = request.environ
    texts = [request.path, *environ]
    texts += [value for value in environ.values() if isinstance(value, str)]
    # Decoded, names and values can hold what their encoded form in the environ does not
    # (%00); without a query string or a Cookie header there is nothing to decode.
    if environ.get("QUERY_STRING"):
        texts += _names_and_values(request.args)
    if environ.get("HTTP_COOKIE"):
        texts += _names_and_values(request.cookies)
    if request.mimetype in FORM_TYPES:
        texts += _names_and_values(request.form)
        for name, upload in request.files.items(multi=True):
            texts += (name, upload.filename or "")
    return texts


def _names_and_values(fields: MultiDict) -> list[str]:
    return [text for pair in fields.items(multi=True) for text in pair]


def refuse_unstorable_text() -> None:
    """before_request: the whole request's text, before authentication and before any view."""
    # one search over all of it: a search per string cost more than the strings' checks
    if has_unstorable("".join(request_texts())):
        raise unstorable_text()
    if request.is_json:
        if request.get_data(cache=True):
            read_json_body()
    elif request.mimetype.startswith("text/") and b"\x00" in request.get_data(cache=True):
        raise unstorable_text()


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_text)
