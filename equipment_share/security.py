"""Protection around every request: rate limits, idle sessions, proxies, security headers.

Rate limits (Flask-Limiter) slow down guessing: sign-in per address and per account, API
requests per token and failed API tokens per address. The store is RATELIMIT_STORAGE_URI:
memory:// counts per worker process; redis://127.0.0.1:6379 shares the counts between workers
and is what production uses.
"""

import time

from flask import Flask, Response, current_app, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import logout_user
from limits.storage import MemoryStorage
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


def api_limit_per_token() -> str:
    return current_app.config["API_RATE_LIMIT_PER_TOKEN"]


def api_failed_token_limit() -> str:
    return current_app.config["API_FAILED_TOKEN_LIMIT_PER_ADDRESS"]


def limit_sign_in(view):
    """Both limits count every POST, right or wrong: a guesser cannot tell them apart by it."""
    view = limiter.limit(sign_in_limit_per_address, methods=["POST"], scope="sign-in-address")(view)
    return limiter.limit(
        sign_in_limit_per_account,
        key_func=submitted_email,
        methods=["POST"],
        scope="sign-in-account",
    )(view)


def limit_api(blueprint) -> None:
    limiter.limit(api_limit_per_token, key_func=bearer_token_key, scope="api-token")(blueprint)
    limiter.limit(
        api_failed_token_limit,
        scope="api-failed-token",
        deduct_when=lambda response: response.status_code == 401,
    )(blueprint)


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
    limiter.init_app(app)
    app.session_interface = PageSessionInterface()
    app.before_request(expire_idle_session)
    app.after_request(header_adder(security_headers(app.config["SERVED_OVER_HTTPS"])))
