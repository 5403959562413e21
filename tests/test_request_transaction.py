"""One transaction per request: a request that writes is committed, one that fails is rolled
back, and a read (GET with nothing written and no objects loaded) ends without a COMMIT."""

import pytest
from sqlalchemy import event, func, insert, select

from equipment_share.database import note_write, request_committed
from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationKind

NAME = "written in a GET"


@pytest.fixture
def transactions(app):
    """The COMMITs and ROLLBACKs the app's connections run, and the commits announced."""
    seen = []
    record_commit = lambda connection: seen.append("COMMIT")  # noqa: E731
    record_rollback = lambda connection: seen.append("ROLLBACK")  # noqa: E731
    announce = lambda sender: seen.append("announced")  # noqa: E731
    event.listen(db.engine, "commit", record_commit)
    event.listen(db.engine, "rollback", record_rollback)
    request_committed.connect(announce, sender=app)
    yield seen
    event.remove(db.engine, "commit", record_commit)
    event.remove(db.engine, "rollback", record_rollback)
    request_committed.disconnect(announce, sender=app)


def organisation():
    return Organization(name=NAME, kind=OrganizationKind.SME)


def add_pending():
    db.session.add(organisation())


def add_and_flush():
    db.session.add(organisation())
    db.session.flush()


def insert_noted():
    """An INSERT outside the unit of work, noted as the booking and the audit entry note theirs."""
    db.session.connection().execute(
        insert(Organization.__table__).values(name=NAME, kind=OrganizationKind.SME.value)
    )
    note_write(db.session)


def read_only():
    db.session.connection().execute(select(func.count()).select_from(Organization.__table__))


WRITES = {"pending": add_pending, "flushed": add_and_flush, "inserted": insert_noted}


@pytest.fixture
def routes(app):
    """GET routes that write each way, then answer 200 or fail with 500."""

    def view(write, status):
        def handle():
            write()
            return "", status

        return handle

    for name, write in {**WRITES, "read": read_only}.items():
        app.add_url_rule(f"/test/{name}", f"test_{name}", view(write, 200))
        app.add_url_rule(f"/test/{name}/fail", f"test_{name}_fail", view(write, 500))


def kept() -> int:
    """Organisations of that name, seen from another connection."""
    with db.engine.connect() as connection:
        return connection.scalar(
            select(func.count())
            .select_from(Organization.__table__)
            .where(Organization.name == NAME)
        )


def start_empty():
    """As a server's request starts: no objects in the session (the test's own would be)."""
    db.session.close()


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_get_that_writes_is_committed(app, client, routes, transactions, write):
    start_empty()

    assert client.get(f"/test/{write}").status_code == 200

    assert kept() == 1
    assert "COMMIT" in transactions
    assert "announced" in transactions


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_get_that_writes_and_fails_is_rolled_back(app, client, routes, transactions, write):
    start_empty()

    assert client.get(f"/test/{write}/fail").status_code == 500

    assert kept() == 0
    assert "COMMIT" not in transactions
    assert "announced" not in transactions


def test_a_read_ends_its_transaction_without_a_commit(app, client, routes, transactions):
    start_empty()

    assert client.get("/test/read").status_code == 200

    assert not db.session.registry.has()  # closed and forgotten: the teardown closes none again
    assert not db.session().in_transaction()
    assert transactions == ["ROLLBACK"]  # nothing committed, nothing announced


def test_a_read_that_holds_objects_is_committed_and_expires_them(
    app, client, routes, transactions, make_org
):
    """In tests the session outlives the request: objects in it are expired as before."""
    kept_org = make_org("sme")
    transactions.clear()

    assert client.get("/test/read").status_code == 200

    assert transactions == ["COMMIT", "announced"]
    assert "name" not in kept_org.__dict__  # expired by the commit


def test_an_api_read_runs_no_commit(app, client, make_user, api_headers, transactions):
    headers = api_headers(make_user("sme"))
    client.get("/api/v1/me", headers=headers)  # the token's first use is written apart
    start_empty()
    transactions.clear()

    assert client.get("/api/v1/me", headers=headers).status_code == 200

    assert "COMMIT" not in transactions
