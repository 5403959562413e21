"""Public pages served again without being built: the rendered body is kept in a small
per-process LRU, keyed by the request's path and query, the locale, a fingerprint of what the
page is made of (services/page_fingerprints.py) and the time it depends on. A hit costs the
fingerprint's query and a dict lookup; the key's digest, kept with the page, is the ETag, so a
browser that has the page gets a 304.

Only for visitors without a session: a signed-in page shows the user, and a session may carry
messages to flash once.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from threading import Lock

from flask import Response, current_app, make_response, request, session
from flask_login import current_user
from werkzeug.http import quote_etag

MAX_PAGES = 512
# Moves every page's ETag when the pages' markup changes for the same inputs.
PAGE_FORMAT = "pages 1"

# (path and query, *key) -> (body, mimetype, ETag)
_pages: OrderedDict[tuple, tuple[bytes, str, str]] = OrderedDict()
_lock = Lock()
_release: str | None = None


def for_visitor() -> bool:
    """A visitor without a session (so no messages to flash and no one to show)."""
    return (
        current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
        and not current_user.is_authenticated
    )


def cached(key: tuple, render: Callable[[], object]) -> Response:
    """The page for this request and key: 304 when the browser has it, else from the cache,
    else rendered and kept (when it is a plain 200 that wrote no session). A kept page's ETag
    is kept with it: a hit hashes the key as a dict does, not as the digest."""
    lookup = (request.full_path, *key)
    with _lock:
        page = _pages.get(lookup)
        if page is not None:
            _pages.move_to_end(lookup)
    if page is not None:
        body, mimetype, etag = page
        # a new response: its headers given at once, as _answer would set them
        headers = (("ETag", quote_etag(etag)), ("Vary", "Cookie"))
        if etag in request.if_none_match:
            return Response(status=304, headers=headers)
        return Response(body, mimetype=mimetype, headers=headers)
    etag = _etag_of(key)
    if etag in request.if_none_match:
        return _answer(Response(status=304), etag)
    response = make_response(render())
    if response.status_code != 200 or session.modified or response.headers.get("Set-Cookie"):
        return response
    with _lock:
        _pages[lookup] = (response.get_data(), response.mimetype, etag)
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return _answer(response, etag)


def clear() -> None:
    with _lock:
        _pages.clear()


def _answer(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    # the language is chosen by a cookie: a shared cache must not give one visitor's to another
    response.vary.add("Cookie")
    return response


def _etag_of(key: tuple) -> str:
    text = repr((_release_digest(), request.full_path, *key))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _release_digest() -> str:
    """The templates' names, sizes and times: a new release's markup moves every ETag, so a
    browser never keeps an old page for the same data."""
    global _release
    if _release is None:
        folder = Path(current_app.root_path, current_app.template_folder or "templates")
        stamps = sorted(
            (str(path), path.stat().st_size, path.stat().st_mtime_ns)
            for path in folder.rglob("*")
            if path.is_file()
        )
        _release = hashlib.sha256(repr((PAGE_FORMAT, stamps)).encode()).hexdigest()
    return _release
