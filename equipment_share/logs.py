"""Logs: a request id on every request (taken from nginx's X-Request-ID or made here), carried
into every log line, the X-Request-ID response header and the error page; JSON lines when
LOG_FORMAT is json, for a log collector."""

import json
import logging
import re
import secrets
import time

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON_KEY = "HTTP_X_REQUEST_ID"
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_logger = logging.getLogger("equipment_share.requests")


def current_request_id() -> str:
    return g.get("request_id", "") if has_request_context() else ""


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or current_request_id(),
        }
        for name in ("method", "path", "status", "duration_ms", "remote_addr"):
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def start_request() -> None:
    # read from the environ, where the header is: request.headers would be built for it
    offered = request.environ.get(REQUEST_ID_ENVIRON_KEY, "")
    # 32 random hex digits, as a UUID4's would be, made in a third of its time
    g.request_id = offered if ACCEPTABLE_REQUEST_ID.fullmatch(offered) else secrets.token_hex(16)
    g.request_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    if request_logger.isEnabledFor(logging.INFO):
        request_logger.handle(request_record(response))
    return response


def request_record(response: Response) -> logging.LogRecord:
    """The request's log line, made directly: Logger.info would also walk the stack to find its
    caller (findCaller), which no format here shows, on every request."""
    started = g.get("request_started")
    method, path, status = request.method, request.path, response.status_code
    return request_logger.makeRecord(
        request_logger.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %s",
        (method, path, status),
        None,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": request.remote_addr,
        },
    )


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    package_logger = logging.getLogger("equipment_share")
    package_logger.handlers[:] = [handler]
    package_logger.setLevel(app.config["LOG_LEVEL"])
    package_logger.propagate = False


def init_app(app: Flask) -> None:
    if not app.testing:
        configure_logging(app)
    app.before_request(start_request)
    app.after_request(finish_request)
