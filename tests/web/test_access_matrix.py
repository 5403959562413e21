"""The access matrix: every route of the app's URL map (pages and API, every method) requested
as anonymous and as each role of two organisations, compared with tests/access_matrix.txt.

A new route without a line in the table fails, so that someone decides who may use it. Each
organisation has one object of every kind (platform A and B an instrument with an idle window;
SME A and B a pending booking, a usage record waiting for its answer, a draft claim, an API
token and a calendar feed link), and there is one subsidy policy and one budget. The URLs name
the objects of organisation A, so platform B and SME B ask for another organisation's objects:
they must be refused (404, or 403 for a role that may never do it), never served nor
answered on their content (a 409 or 422 would tell that the object exists): checked apart from
the table, so that regenerating the table cannot hide such a leak.

Outcomes, one letter per actor: o = served (2xx, or a redirect elsewhere than the sign-in
page), v = refused for its input or state (400/409/422: the empty body), a = sign in first (401 or the sign-in page),
f = forbidden (403), n = not found (404), m = method not allowed (405), u = unavailable (503),
x = a server error (never expected). Regenerate after a deliberate change with
ACCESS_MATRIX_WRITE=1 pytest tests/web/test_access_matrix.py, and read the diff.
"""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from equipment_share.extensions import db
from equipment_share.models import Notification
from equipment_share.services import bookings, budgets, claims, notifications
from equipment_share.services.calendars import make_feed_secret
from equipment_share.services.tokens import issue_token
from tests.clock import local, next_weekday, today
from tests.conftest import PASSWORD
from tests.finance_helpers import YEAR
from tests.statement_helpers import RATE, SETUP, recorded_use
from tests.subsidy_helpers import make_policy

TABLE = Path(__file__).with_name("access_matrix.txt")
ACTORS = ("anonymous", "admin", "finance", "platform_a", "platform_b", "sme_a", "sme_b")
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
# routes that change who is asking, left out: signing out ends the actor's session
SKIPPED = {("POST", "/logout"), ("GET", "/static/<path:filename>")}


def outcome(response) -> str:
    status = response.status_code
    if status == 503:  # /readyz: the test schema is made without the migrations
        return "u"
    if status >= 500:
        return "x"
    if status == 401 or (status == 302 and "/login" in response.headers.get("Location", "")):
        return "a"
    return {400: "v", 409: "v", 422: "v", 403: "f", 404: "n", 405: "m"}.get(status, "o")


# placeholders naming an object that belongs to organisation A alone
PRIVATE = {
    "booking_id",
    "usage_id",
    "claim_id",
    "organization_id",
    "user_id",
    "token_id",
    "notice_id",
    "notification_id",
}
# placeholders of a platform's published instrument: anyone reads it, only its platform changes it
PUBLISHED = {"equipment_id", "window_id"}
REFUSED = {"a", "f", "n", "m"}


def seed_organisation(platform, sme_user, platform_user, make_equipment) -> dict:
    """One object of each kind for a platform and an SME: an instrument with an idle window, a
    pending booking, a recorded use waiting for the SME's answer, a draft claim, an API token
    and a calendar feed link."""
    equipment = make_equipment(platform, requires_approval=True, hourly_rate=RATE, setup_fee=SETUP)
    day = next_weekday(2)
    booking = bookings.create_booking(sme_user, equipment.id, local(day, 9), local(day, 10))
    yesterday = today() - timedelta(days=1)
    record = recorded_use(platform_user, sme_user, equipment, local(yesterday, 9), hours=1)
    claim = claims.draft_claim(sme_user, date(YEAR, 1, 1), date(YEAR, 1, 31))
    issue_token(sme_user, "seeded")
    db.session.commit()
    return {
        "equipment_id": equipment.id,
        "window_id": equipment.idle_windows[0].id,
        "booking_id": booking.id,
        "usage_id": record.id,
        "claim_id": claim.id,
        "organization_id": sme_user.organization_id,
        "user_id": sme_user.id,
        "token_id": sme_user.tokens[0].id,
        "secret": make_feed_secret(sme_user),
    }


@pytest.fixture
def world(app, make_org, make_user, make_equipment):
    platform_a, platform_b = make_org("platform"), make_org("platform")
    sme_a, sme_b = make_org("sme"), make_org("sme")
    users = {
        "admin": make_user("admin"),
        "finance": make_user("finance"),
        "platform_a": make_user("platform", platform_a),
        "platform_b": make_user("platform", platform_b),
        "sme_a": make_user("sme", sme_a),
        "sme_b": make_user("sme", sme_b),
    }
    policy = make_policy(users["finance"])
    budget = budgets.create_budget(users["finance"], YEAR, "province", "100000.00")
    db.session.commit()
    objects = {
        side: seed_organisation(
            platform, users[f"sme_{side}"], users[f"platform_{side}"], make_equipment
        )
        for side, platform in (("a", platform_a), ("b", platform_b))
    }
    notifications.expand_booking_events()  # the bookings' mails sent: their notices written
    # the booking request's notice to platform A's user
    notice_id = db.session.scalar(
        db.select(Notification.id)
        .where(Notification.user_id == users["platform_a"].id)
        .order_by(Notification.id)
    )
    values = objects["a"] | {
        "notice_id": notice_id,
        "notification_id": notice_id,
        "policy_id": policy.id,
        "budget_id": budget.id,
        "code": "en",
        "extension": "csv",
        "action": "submit",
    }
    return users, values


PLACEHOLDER = re.compile(r"<(?:[^:<>]+(?:\([^)]*\))?:)?([a-z_]+)>")


def url_for_rule(rule, values) -> str:
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), rule.rule)


def clients_for(app, users):
    """A signed-in test client per role, an API token each, and an anonymous client."""
    clients, tokens = {"anonymous": app.test_client()}, {"anonymous": None}
    for name, user in users.items():
        client = app.test_client()
        answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert answer.status_code == 302, name
        clients[name] = client
        tokens[name] = issue_token(user, "matrix")
    db.session.commit()
    return clients, tokens


def observed_table(app, world) -> dict[str, str]:
    users, values = world
    clients, tokens = clients_for(app, users)
    table = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        for method in METHODS:
            if method not in rule.methods or (method, rule.rule) in SKIPPED:
                continue
            path = url_for_rule(rule, values)
            outcomes = []
            for actor in ACTORS:
                if rule.rule.startswith("/api/"):
                    headers = {"Authorization": f"Bearer {tokens[actor]}"} if tokens[actor] else {}
                    response = clients["anonymous"].open(
                        path, method=method, headers=headers, json={}
                    )
                else:
                    response = clients[actor].open(path, method=method, data={})
                outcomes.append(outcome(response))
                response.close()
                db.session.rollback()
            table[f"{method} {rule.rule}"] = " ".join(outcomes)
    return table


def read_table() -> dict[str, str]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            route, _, outcomes = line.partition("  ")
            rows[route.strip()] = outcomes.strip()
    return rows


def write_table(table: dict[str, str]) -> None:
    width = max(map(len, table))
    header = "# " + " ".join(ACTORS) + " (see tests/test_access_matrix.py)\n"
    TABLE.write_text(header + "".join(f"{route:<{width}}  {row}\n" for route, row in table.items()))


def placeholders(route: str) -> set[str]:
    return set(PLACEHOLDER.findall(route))


def cross_organisation_reaches(observed: dict[str, str]) -> dict[str, str]:
    """Routes where platform B or SME B got further than a refusal with organisation A's
    objects: any of A's private objects, or a change to A's published instrument by platform B
    (anyone reads an instrument, and any SME may ask to book it)."""
    reaches = {}
    for route, row in observed.items():
        outcomes = dict(zip(ACTORS, row.split(), strict=True))
        names = placeholders(route)
        method = route.partition(" ")[0]
        actors = []
        if names & PRIVATE:
            actors = ["platform_b", "sme_b"]
        elif names & PUBLISHED and method != "GET":
            actors = ["platform_b"]
        if any(outcomes[actor] not in REFUSED for actor in actors):
            reaches[route] = row
    return reaches


def test_every_route_answers_every_actor_as_the_table_says(app, world):
    observed = observed_table(app, world)
    if os.environ.get("ACCESS_MATRIX_WRITE"):
        write_table(observed)
    expected = read_table()

    assert not [route for route, row in observed.items() if "x" in row], "server errors"
    # platform B and SME B with organisation A's objects: refused, whatever the table says
    assert not cross_organisation_reaches(observed), cross_organisation_reaches(observed)
    missing = sorted(set(observed) - set(expected))
    assert not missing, f"routes without an entry in {TABLE.name}: {missing}"
    differences = {
        route: (expected.get(route), row)
        for route, row in observed.items()
        if expected.get(route) != row
    }
    assert not differences, differences
