"""Reading requests: a body that is not a JSON object, or a value of the wrong JSON type, is 400.

webargs would answer its own 422 for any schema error; here every such error becomes a domain
error instead, so equipment_share.errors answers it in the contract's format:
``{"error": {"code": "bad_request", "message": ..., "details": {"fields": {field: message}}}}``.
"""

from collections import OrderedDict
from threading import Lock

import marshmallow as ma
from flask import Request, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from equipment_share.domain.errors import N_
from equipment_share.request_text import InvalidRequest, read_json_body

__all__ = ["ApiParser", "InvalidRequest", "flatten_messages"]


def flatten_messages(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"field": "message"}; list items as "field.0"."""
    if isinstance(messages, dict):
        flat: dict[str, str] = {}
        for key, value in messages.items():
            flat |= flatten_messages(value, f"{prefix}.{key}" if prefix else str(key))
        return flat
    if isinstance(messages, list | tuple):
        if all(isinstance(message, str) for message in messages):
            return {prefix or "_schema": " ".join(messages)}
        flat = {}
        for message in messages:
            flat |= flatten_messages(message, prefix)
        return flat
    return {prefix or "_schema": str(messages)}


class ApiParser(FlaskParser):
    """webargs' Flask parser: errors in the contract's format, and the queries of schemas that
    ask for it (`ApiSchema.keep_query_reads`) read once per process."""

    # Schema errors are type errors (see fields.py); value errors come from the domain as 422.
    DEFAULT_VALIDATION_STATUS = 400
    # An unknown query parameter is refused rather than silently ignored: a filter the server
    # does not know must not quietly return unfiltered results.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    KEPT_QUERIES = 256

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._query_reads: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = Lock()

    def parse(self, argmap, req: Request | None = None, *, location: str | None = None, **options):
        """A query string reads the same every time (for one schema and the deployment's time
        zone, which offset-less instants are read in): what a schema that keeps its reads read
        is kept, in a small per-process LRU (an instrument's week is asked for with the same
        window by everyone who looks at it). A query that fails is read again every time."""
        if not (
            location == "query"
            and getattr(argmap, "keep_query_reads", False)
            and options.get("validate") is None
        ):
            return super().parse(argmap, req, location=location, **options)
        key = (
            argmap,
            (req or request).query_string,
            current_app.config["TIMEZONE"],
            options.get("unknown"),
        )
        with self._lock:
            read = self._query_reads.get(key)
            if read is not None:
                self._query_reads.move_to_end(key)
        if read is None:
            read = super().parse(argmap, req, location=location, **options)
            with self._lock:
                self._query_reads[key] = read
                while len(self._query_reads) > self.KEPT_QUERIES:
                    self._query_reads.popitem(last=False)
        return dict(read)

    def _raw_load_json(self, req: Request):
        body = req.get_data(cache=True)
        if not is_json_request(req):
            if body:
                raise InvalidRequest(N_("Send the body as JSON (Content-Type: application/json)."))
            return core.missing
        data = read_json_body()
        if not isinstance(data, dict):
            raise InvalidRequest(N_("The body must be a JSON object."))
        return data

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise InvalidRequest(N_("The body is not valid JSON."))

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        # webargs nests the messages under the location: {"json": {"name": [...]}}.
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            (location,) = messages
            if location in self.__location_map__:
                messages = messages[location]
        raise InvalidRequest(
            N_("Some fields have the wrong type or are not known."), flatten_messages(messages)
        )
