"""How large a request body may be, route by route: small, unless the view takes an upload.

A worker holds what it parses: an 8 MB form or JSON array becomes hundreds of MB of Python
objects (a 8 MB form of short fields took a worker to 365 MB). So every request's limit is
MAX_REQUEST_BYTES (256 kB), and a view that takes a file says how much more it needs with
`@body_limit(...)`; MAX_CONTENT_LENGTH stays the ceiling of all. The limit is set before any
other hook reads the body, and a body over it answers 413 (a page, or `payload_too_large`).
"""

from collections.abc import Callable, Mapping

from flask import Flask, current_app, request

Limit = int | Callable[[Mapping], int]


def body_limit(limit: Limit):
    """Decorate a view (under its route decorator): its body may have `limit` bytes, a number or
    a function of the app's config."""

    def decorate(view):
        view.max_body_bytes = limit
        return view

    return decorate


def upload_limit(size: int | str) -> Callable[[Mapping], int]:
    """The upload's own limit (bytes, or the config setting that holds them) and room for the
    form around it."""
    return lambda config: (
        (config[size] if isinstance(size, str) else size) + config["MAX_REQUEST_BYTES"]
    )


def limit_request_body() -> None:
    """before_request, first of all: the limit of the view this request goes to."""
    config = current_app.config
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_body_bytes", None)
    if callable(limit):
        limit = limit(config)
    limit = limit or config["MAX_REQUEST_BYTES"]
    if config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, config["MAX_CONTENT_LENGTH"])
    request.max_content_length = limit


def init_app(app: Flask) -> None:
    app.before_request(limit_request_body)
