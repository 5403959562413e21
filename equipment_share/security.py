"""Protection around every request: rate limits, idle sessions, proxies, security headers.

Rate limits (Flask-Limiter) slow down guessing: sign-in per address and per account, API
requests per token and failed API tokens per address. The store is RATELIMIT_STORAGE_URI:
memory:// counts per worker process; redis://127.0.0.1:6379 shares the counts between workers
and is what production uses.
"""

import logging
import time
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, flash, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import logout_user
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from equipment_share.extensions import limiter

# Every asset is a file under static/: no inline script or style, no other origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # calendar feed links carry a secret: never send a URL of this site to another one
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"
API_PATH_PREFIX = "/api/"

# how often a session's last-seen time is written back (every request would set a cookie on
# every response)
SEEN_RESOLUTION_SECONDS = 60


class MemoryStorageWithoutTimer(MemoryStorage):
    """memory:// as limits ships it, less its clean-up thread (this class takes the scheme over).

    limits' MemoryStorage starts a new threading.Timer whenever the previous one has finished
    (10 ms), from every counted hit: under load about one thread start per API request, the
    largest single cost of GET /api/v1/me. Counts expire as they are read either way (get()
    drops an expired key); here the sweep of keys nobody reads any more runs inline, at most
    once per SWEEP_SECONDS.
    """

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()
        self.next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private method
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def submitted_email() -> str:
    """The account a sign-in is for, as the per-account rate-limit key."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def bearer_token_key() -> str:
    from equipment_share.api.auth import bearer_token

    token = bearer_token()
    return "token:" + (token[:64] if token else get_remote_address())


def sign_in_limit_per_address() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT_PER_ADDRESS"]


def sign_in_limit_per_account() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT_PER_ACCOUNT"]


def limit_sign_in(view):
    """Both limits count every POST, right or wrong: a guesser cannot tell them apart by it."""
    view = limiter.limit(sign_in_limit_per_address, methods=["POST"], scope="sign-in-address")(view)
    return limiter.limit(
        sign_in_limit_per_account,
        key_func=submitted_email,
        methods=["POST"],
        scope="sign-in-account",
    )(view)


# The API's two limits, counted by ApiLimits below. Their storage keys are Flask-Limiter's own
# (LIMITER/<key>/<endpoint>:<scope>/...): each endpoint counts apart, as before.
API_TOKEN_SCOPE = "api-token"  # nosec B105  # a rate-limit scope name, not a secret
API_FAILED_TOKEN_SCOPE = "api-failed-token"  # nosec B105  # a scope name, not a secret
LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER, RETRY_AFTER_HEADER = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)
STORAGE_RECHECK_SECONDS = 30
_limited_blueprints: set[str] = set()
limits_logger = logging.getLogger("equipment_share.rate_limits")


def limit_api(blueprint) -> None:
    """Every request to the blueprint counts against its token's limit, and a request whose
    token is refused (401) against its address's failed-token limit."""
    _limited_blueprints.add(blueprint.name)


@dataclass
class CountedLimit:
    item: RateLimitItem
    identifiers: tuple[str, ...]


class ApiLimits:
    """The API's limits, counted with `limits` on Flask-Limiter's own storage (and its
    in-memory fallback), the way Flask-Limiter's blueprint decorators counted them: the
    per-token limit is hit before anything else runs, the failed-token limit only tested then
    and hit after a 401; either one breached answers 429; the X-RateLimit-* and Retry-After
    headers describe the per-token limit, or the one breached.

    Flask-Limiter's decorator machinery (resolving every limit's provider, exemption scopes and
    request context on every request) cost about as much as the token check. Sign-in keeps
    its decorators; API requests skip Flask-Limiter's hooks (init_limiter) and are counted here.
    """

    def __init__(self) -> None:
        self.parsed: dict[str, RateLimitItem] = {}
        self.recheck_at = 0.0

    def item(self, setting: str) -> RateLimitItem:
        value = current_app.config[setting]
        item = self.parsed.get(value)
        if item is None:
            item = self.parsed[value] = parse(value)
        return item

    def applies(self) -> bool:
        return limiter.enabled and request.blueprint in _limited_blueprints

    def check(self) -> None:
        """before_request, before authentication."""
        g.api_limits = None
        if not (self.applies() and request.endpoint):
            return
        try:
            self._count()
        except TooManyRequests:
            raise
        except Exception:
            if self._fall_back_to_memory():
                self._count()
            elif current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
                limits_logger.exception("Failed to rate limit. Swallowing error")
            else:
                raise

    def _count(self) -> None:
        endpoint = request.endpoint
        prefix = (current_app.config.get("RATELIMIT_KEY_PREFIX") or "",)
        prefix = prefix if prefix[0] else ()
        per_token = CountedLimit(
            self.item("API_RATE_LIMIT_PER_TOKEN"),
            (*prefix, bearer_token_key(), f"{endpoint}:{API_TOKEN_SCOPE}"),
        )
        failed = CountedLimit(
            self.item("API_FAILED_TOKEN_LIMIT_PER_ADDRESS"),
            (*prefix, get_remote_address(), f"{endpoint}:{API_FAILED_TOKEN_SCOPE}"),
        )
        g.api_limits = limits = sorted((per_token, failed), key=lambda counted: counted.item)
        g.api_failed_token_limit = failed
        strategy = limiter.limiter
        for counted in limits:
            allowed = (
                strategy.test(counted.item, *counted.identifiers)
                if counted is failed
                else strategy.hit(counted.item, *counted.identifiers)
            )
            if not allowed:
                limits_logger.info(
                    "ratelimit %s (%s) exceeded at endpoint: %s",
                    counted.item,
                    counted.identifiers[-2],
                    counted.identifiers[-1],
                )
                g.api_limit_for_headers = counted
                g.api_failed_token_limit = None  # a 429 is no failed token
                raise TooManyRequests()
        g.api_limit_for_headers = limits[0]

    def _fall_back_to_memory(self) -> bool:
        """The storage failed: count in memory from now on, when the app says so."""
        if not current_app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"):
            return False
        if limiter._storage_dead:
            return False  # the fallback itself failed
        limits_logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
        limiter._storage_dead = True
        self.recheck_at = time.monotonic() + STORAGE_RECHECK_SECONDS
        return True

    def finish(self, response: Response) -> Response:
        """after_request: count a refused token, and tell the client where it stands."""
        if not g.get("api_limits"):  # set by check() only where the limits apply
            return response
        try:
            failed = g.get("api_failed_token_limit")
            if failed is not None and response.status_code == 401:
                limiter.limiter.hit(failed.item, *failed.identifiers)
            if current_app.config.get("RATELIMIT_HEADERS_ENABLED"):
                self._add_headers(response, g.api_limit_for_headers)
        except Exception:
            if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
                raise
            limits_logger.exception("Failed to count or describe the API's rate limits")
        self._recheck_storage()
        return response

    @staticmethod
    def _add_headers(response: Response, counted: CountedLimit) -> None:
        reset, remaining = limiter.limiter.get_window_stats(counted.item, *counted.identifiers)
        reset_at = int(reset + 1)
        response.headers.add(LIMIT_HEADER, str(counted.item.amount))
        response.headers.add(REMAINING_HEADER, str(remaining))
        response.headers.add(RESET_HEADER, str(reset_at))
        response.headers.set(RETRY_AFTER_HEADER, str(int(reset_at - time.time())))

    def _recheck_storage(self) -> None:
        """Back to the configured storage once it answers again (Flask-Limiter does the same on
        the requests it counts, which API requests no longer are)."""
        if not limiter._storage_dead or time.monotonic() < self.recheck_at:
            return
        self.recheck_at = time.monotonic() + STORAGE_RECHECK_SECONDS
        storage = limiter._storage
        if storage is not None and storage.check():
            limits_logger.info("Rate limit storage recovered")
            limiter._storage_dead = False


api_limits = ApiLimits()


def init_limiter(app: Flask) -> None:
    """Flask-Limiter for the pages (sign-in). Its three request hooks skip the API's requests,
    which ApiLimits counts: there they would only look for limits to find none (about 4% of an
    API request), and its headers and fallback are ApiLimits' business there."""
    init_for_pages(app, limiter.init_app)


def init_for_pages(app: Flask, init_extension) -> None:
    """Run an extension's init_app(app); the request hooks it adds skip the API's requests.

    For the extensions whose hooks find nothing to do there: Flask-Limiter's (ApiLimits counts
    the API), Flask-WTF's CSRF check (the API's blueprints are exempt: bearer tokens, not
    cookies) and Flask-Login's remember-me cookie (the API has no session to remember in)."""
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(registry.get(None, ())) for registry in registries]
    init_extension(app)
    for registry, previous in zip(registries, before, strict=True):
        registry[None] = [
            hook if hook in previous else _not_for_the_api(hook) for hook in registry.get(None, ())
        ]


def _not_for_the_api(hook):
    @wraps(hook)
    def unless_api(*args):
        if request.blueprint in _limited_blueprints:
            return args[0] if args else None  # an after_request hook hands the response on
        return hook(*args)

    return unless_api


def start_session() -> None:
    """A new session at sign-in: nothing from before it (a planted session) carries over."""
    session.clear()
    session["seen"] = int(time.time())


def expire_idle_session() -> None:
    """before_request: a session unused for SESSION_IDLE_MINUTES is signed out. The last-seen
    time is inside the signed cookie, so an old copy of the cookie is as expired as the
    original."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    seen = session.get("seen")
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not isinstance(seen, int) or now - seen > idle_limit:
        logout_user()
        session.clear()
        flash(_("You were signed out after a while without activity. Please sign in again."))
        return
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = now


class PageSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, for pages only. The API authenticates by bearer token alone, so
    an API request gets Flask's null session: no cookie is read, verified or set (and no
    Vary: Cookie), and code that tried to write to the session there would fail loudly."""

    def open_session(self, app: Flask, request):
        if request.path.startswith(API_PATH_PREFIX):
            return None  # Flask puts its NullSession in place
        return super().open_session(app, request)


def security_headers(served_over_https: bool) -> tuple[tuple[str, str], ...]:
    headers = tuple(SECURITY_HEADERS.items())
    return headers + (("Strict-Transport-Security", HSTS),) if served_over_https else headers


def header_adder(headers: tuple[tuple[str, str], ...]):
    """after_request: the headers a view has not set itself. Built once per app, and one pass
    over the response's headers (setdefault scans them twice per header)."""
    lowered = tuple((name.lower(), name, value) for name, value in headers)

    def add_security_headers(response: Response) -> Response:
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118 - pairs otherwise
        for lower, name, value in lowered:
            if lower not in present:
                response.headers.add(name, value)
        return response

    return add_security_headers


def init_app(app: Flask) -> None:
    if app.config["SERVED_OVER_HTTPS"]:
        # cookies only over HTTPS, so that they never cross the network in clear
        app.config["SESSION_COOKIE_SECURE"] = True
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # behind nginx: the client's address and scheme come from X-Forwarded-For/-Proto
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    init_limiter(app)
    # the API's limits are counted by api_limits, before authentication (a blueprint's own
    # before_request would come after it)
    app.before_request(api_limits.check)
    app.after_request(api_limits.finish)
    app.session_interface = PageSessionInterface()
    app.before_request(expire_idle_session)
    app.after_request(header_adder(security_headers(app.config["SERVED_OVER_HTTPS"])))
