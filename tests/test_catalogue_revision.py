"""The catalogue's revision token (models/catalogue.py): replaced by the database on every
change to an instrument or an organisation, once per transaction, at its commit."""

import threading

import pytest
from sqlalchemy import text

from equipment_share.extensions import db


def token() -> str | None:
    with db.engine.connect() as connection:
        return connection.scalar(text("SELECT token FROM catalogue_revision WHERE id = 1"))


def rename(connection, equipment_id: int, name: str) -> None:
    connection.execute(
        text("UPDATE equipment SET name_en = :name WHERE id = :id"),
        {"name": name, "id": equipment_id},
    )


def test_a_change_commits_a_new_token_and_a_rollback_keeps_the_old(app, make_org, make_equipment):
    equipment = make_equipment(make_org("platform"))
    db.session.commit()
    before = token()

    with db.engine.connect() as connection:
        rename(connection, equipment.id, "rolled back")
        connection.rollback()
    assert token() == before

    with db.engine.begin() as connection:
        rename(connection, equipment.id, "kept")
    assert token() not in (before, None)


def test_every_transaction_writes_a_token_of_its_own(app, make_org, make_equipment):
    platform = make_org("platform")
    first, second = make_equipment(platform), make_equipment(platform)
    db.session.commit()
    seen = {token()}

    for name in ("a", "b", "c"):
        with db.engine.begin() as connection:
            rename(connection, first.id, name)
            rename(connection, second.id, name)
        seen.add(token())

    assert len(seen) == 4


def test_two_transactions_changing_instruments_in_turn_do_not_deadlock(
    app, make_org, make_equipment
):
    """T1 changes A, T2 changes B, T1 changes B (waits for T2), T2 commits, T1 commits. A
    token written at each change would have T2 wait for T1's lock on it while T1 waits for T2's
    row: a deadlock. Written at commit, both go through."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no row locks to order")
    platform = make_org("platform")
    a, b = make_equipment(platform), make_equipment(platform)
    db.session.commit()
    errors: list[BaseException] = []
    t1 = db.engine.connect()
    t2 = db.engine.connect()
    for connection in (t1, t2):  # a wait that never ends fails the test instead
        connection.execute(text("SET lock_timeout = '5s'"))
    try:
        rename(t1, a.id, "t1")
        rename(t2, b.id, "t2")

        def t1_changes_b() -> None:
            try:
                rename(t1, b.id, "t1")
                t1.commit()
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)

        waiting = threading.Thread(target=t1_changes_b)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "T1 should wait for T2's row"
        t2.commit()
        waiting.join(10)
        assert not waiting.is_alive() and errors == []
    finally:
        t1.close()
        t2.close()
    with db.engine.connect() as connection:
        names = connection.execute(
            text("SELECT name_en FROM equipment WHERE id IN (:a, :b) ORDER BY id"),
            {"a": a.id, "b": b.id},
        ).scalars()
        assert list(names) == ["t1", "t1"]
