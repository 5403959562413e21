"""The JSON API under /api/v1, documented by flask-smorest as OpenAPI 3.1."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
