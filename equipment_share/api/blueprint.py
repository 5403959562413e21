"""The blueprint every API area uses: token required, requests read by ApiParser, errors documented."""

from http import HTTPStatus

from flask_smorest import Blueprint

from equipment_share.api.auth import authenticate, challenge_unauthenticated
from equipment_share.api.parsing import ApiParser

API_PREFIX = "/api/v1"


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def __init__(self, name: str, import_name: str, **kwargs):
        kwargs.setdefault("url_prefix", API_PREFIX)
        super().__init__(name, import_name, **kwargs)
        self.before_request(authenticate)
        self.after_request(challenge_unauthenticated)

    def route(self, rule, *, parameters=None, tags=None, **options):
        """Like Blueprint.route, and documents the 401 every operation may answer."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def decorator(func):
            register(self.errors(HTTPStatus.UNAUTHORIZED)(func))
            return func

        return decorator

    def errors(self, *statuses: int):
        """Document error answers, each with the contract's error body."""

        def decorator(func):
            for status in statuses:
                status = HTTPStatus(status)
                func = self.alt_response(int(status), response=status.name)(func)
            return func

        return decorator
