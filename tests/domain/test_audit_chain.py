"""The audit log's hash chain, without a database: an intact chain verifies, and every kind of
tampering (an edited field, a deleted entry, a reordered pair, a forged link) is found at the
first entry it breaks."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from equipment_share.domain.audit_chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    canonical_json_around,
    entry_hash,
    find_break,
)

START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def make_chain(length: int = 6) -> list[dict]:
    """Entries as the database returns them, linked as audit.record links them."""
    chain, previous = [], GENESIS_HASH
    for position in range(1, length + 1):
        entry = {
            "id": 100 + position,
            "position": position,
            "created_at": START + timedelta(minutes=position),
            "actor_id": position % 3 or None,
            "object_type": "booking" if position % 2 else "usage",
            "object_id": 7,
            "action": "approve",
            "from_state": "pending",
            "to_state": "confirmed",
            "reason": "",
            "changes": {"fee": {"from": "100.00", "to": f"{position}0.00"}},
            "previous_hash": previous,
        }
        entry["entry_hash"] = entry_hash(entry, previous)
        chain.append(entry)
        previous = entry["entry_hash"]
    return chain


def relink(chain: list[dict], start: int) -> None:
    """What an attacker who knows the scheme does after an edit: recompute the hashes from
    `start` on so every stored link agrees again."""
    previous = chain[start - 1]["entry_hash"] if start else GENESIS_HASH
    for entry in chain[start:]:
        entry["previous_hash"] = previous
        entry["entry_hash"] = previous = entry_hash(entry, previous)


def test_an_intact_chain_verifies():
    assert find_break(make_chain()) is None
    assert find_break([]) is None


TAMPERED_VALUES = {
    "position": 30,
    "created_at": START + timedelta(days=1),
    "actor_id": 99,
    "object_type": "rate_card",
    "object_id": 8,
    "action": "reject",
    "from_state": "confirmed",
    "to_state": "cancelled",
    "reason": "nobody will notice",
    "changes": {"fee": {"from": "100.00", "to": "1.00"}},
}


def test_every_hashed_field_has_a_tampered_value():
    assert set(TAMPERED_VALUES) == set(HASHED_FIELDS)


@pytest.mark.parametrize("field", [name for name in HASHED_FIELDS if name != "position"])
def test_an_edited_field_breaks_the_chain_at_that_entry(field):
    chain = make_chain()
    chain[2][field] = TAMPERED_VALUES[field]

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (3, 103)
    assert "content" in broken.reason


def test_an_edited_position_is_found_where_the_numbering_goes_wrong():
    chain = make_chain()
    chain[2]["position"] = TAMPERED_VALUES["position"]

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (3, 103)


def test_an_edited_entry_whose_own_hash_is_recomputed_breaks_at_the_next_entry():
    chain = make_chain()
    chain[2]["reason"] = "rewritten"
    chain[2]["entry_hash"] = entry_hash(chain[2], chain[2]["previous_hash"])

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (4, 104)
    assert "does not follow" in broken.reason


def test_an_edited_stored_hash_is_found():
    chain = make_chain()
    chain[4]["entry_hash"] = "f" * 64

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (5, 105)


def test_a_changed_previous_hash_is_found_at_that_entry():
    chain = make_chain()
    chain[3]["previous_hash"] = chain[1]["entry_hash"]

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (4, 104)
    assert "does not follow" in broken.reason


@pytest.mark.parametrize("deleted", [1, 3, 5])
def test_a_deleted_entry_is_found_at_its_position(deleted):
    chain = make_chain()
    del chain[deleted - 1]

    broken = find_break(chain)

    assert broken.position == deleted
    assert broken.entry_id == 100 + deleted + 1  # the entry found in its place
    assert f"position {deleted} is missing" in broken.reason


def test_a_deleted_entry_with_the_rest_renumbered_breaks_at_the_gap():
    chain = make_chain()
    del chain[2]
    for entry in chain[2:]:
        entry["position"] -= 1

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (3, 104)


def test_two_entries_swapped_are_found_at_the_first_of_them():
    chain = make_chain()
    # swap the content of positions 3 and 4, keeping the numbering contiguous
    chain[2], chain[3] = chain[3], chain[2]
    chain[2]["position"], chain[3]["position"] = 3, 4

    broken = find_break(chain)

    assert (broken.position, broken.entry_id) == (3, 104)


def test_entries_read_out_of_position_order_are_found_at_the_first_gap():
    chain = make_chain()
    chain[2], chain[3] = chain[3], chain[2]

    broken = find_break(chain)

    assert broken.position == 3
    assert broken.entry_id == 104


def test_only_rehashing_every_later_entry_hides_an_edit():
    """Why `verify-audit` prints the head: an attacker who rewrites the chain from the edit on
    makes it consistent again, and only a head written down elsewhere shows the change."""
    chain = make_chain()
    original_head = chain[-1]["entry_hash"]
    chain[2]["reason"] = "rewritten"

    relink(chain, 2)

    assert find_break(chain) is None
    assert chain[-1]["entry_hash"] != original_head


def test_a_chain_cut_off_at_its_end_still_verifies_so_the_head_must_be_kept_elsewhere():
    chain = make_chain()

    assert find_break(chain[:-2]) is None


def test_the_hash_is_the_same_however_equal_values_are_spelled():
    entry = make_chain(1)[0]
    same = dict(entry)
    same["created_at"] = entry["created_at"].astimezone(timezone(timedelta(hours=8)))
    same["changes"] = {"fee": {"to": "10.00", "from": Decimal("100.00")}}

    assert entry_hash(same, GENESIS_HASH) == entry["entry_hash"]


@pytest.mark.parametrize(
    ("reason", "changes"),
    [("", {}), ('"\x00position" 引号', {"\x00object_id": ["\x00previous_hash", 1.5]})],
)
def test_the_canonical_json_around_the_databases_values_hashes_as_the_entry(reason, changes):
    """What PostgreSQL hashes when it writes an entry itself (services/audit.py): the pieces
    around the object id, the position and the previous hash, joined with them, hash as
    entry_hash does, whatever text the other fields hold."""
    fields = {
        "position": 41,
        "created_at": datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
        "actor_id": 7,
        "object_type": "booking",
        "object_id": 12345,
        "action": "create",
        "from_state": "",
        "to_state": "confirmed",
        "reason": reason,
        "changes": changes,
    }
    previous = "ab" * 32
    first, after_object, after_position, last = canonical_json_around(fields)

    canonical = f"{first}12345{after_object}41{after_position}{previous}{last}"

    assert hashlib.sha256(canonical.encode()).hexdigest() == entry_hash(fields, previous)
