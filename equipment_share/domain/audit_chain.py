"""The audit log's hash chain: each entry's hash covers its content and the previous hash.

An entry is hashed as canonical JSON (sorted keys, no whitespace, UTF-8) of its fields, so the
same entry hashes the same on every database and Python version. Changing any field of an entry,
deleting one or swapping two breaks the chain at the first entry whose stored hashes no longer
agree with what its content and its predecessor say.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "position",
    "created_at",
    "actor_id",
    "object_type",
    "object_id",
    "action",
    "from_state",
    "to_state",
    "reason",
    "changes",
)


def json_value(value: object) -> object:
    """A value as it is kept in an entry's `changes`: plain JSON, money and instants as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, str):
        return str(value)  # also turns a StrEnum member into its plain value
    if value is None or isinstance(value, int | float | bool):
        return value
    return str(value)


def entry_hash(fields: Mapping[str, object], previous_hash: str) -> str:
    content = {name: json_value(fields[name]) for name in HASHED_FIELDS}
    content["previous_hash"] = previous_hash
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


# What a database computing an entry's hash itself knows and Python does not yet: the object
# made in the same statement, and the chain's head locked there. In the canonical JSON's order.
KNOWN_TO_THE_DATABASE = ("object_id", "position", "previous_hash")


def canonical_json_around(fields: Mapping[str, object]) -> tuple[str, str, str, str]:
    """The canonical JSON that entry_hash hashes, for an entry whose object id, position and
    previous hash are not known yet, as the four pieces around them: the JSON is
    ``pieces[0] + str(object_id) + pieces[1] + str(position) + pieces[2] + previous_hash +
    pieces[3]`` (services/audit.py has PostgreSQL hash it in the statement that writes it).
    Written key by key, as json.dumps writes the whole, so no text in a field can pass for a
    place where a value goes."""
    known = {
        name: json_value(fields[name])
        for name in HASHED_FIELDS
        if name not in KNOWN_TO_THE_DATABASE
    }
    names = sorted([*known, *KNOWN_TO_THE_DATABASE])
    pieces, piece = [], "{"
    for number, name in enumerate(names):
        piece += ("," if number else "") + _canonical(name) + ":"
        if name in known:
            piece += _canonical(known[name])
        else:
            quote = '"' if name == "previous_hash" else ""  # a string; the others are numbers
            pieces.append(piece + quote)
            piece = quote
    first, after_object, after_position = pieces
    return first, after_object, after_position, piece + "}"


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the chain does not hold, and why."""

    position: int
    entry_id: int | None
    reason: str


def find_break(entries: Iterable[Mapping[str, object]]) -> ChainBreak | None:
    """Walk entries in position order; None when every link holds.

    Each entry maps the HASHED_FIELDS plus `id`, `previous_hash` and `entry_hash`.
    """
    expected_previous, expected_position = GENESIS_HASH, 1
    for entry in entries:
        position, entry_id = entry["position"], entry.get("id")
        if position != expected_position:
            return ChainBreak(
                expected_position,
                entry_id,
                f"entry at position {expected_position} is missing (found {position})",
            )
        if entry["previous_hash"] != expected_previous:
            return ChainBreak(position, entry_id, "does not follow the entry before it")
        if entry_hash(entry, expected_previous) != entry["entry_hash"]:
            return ChainBreak(position, entry_id, "its content does not match its hash")
        expected_previous, expected_position = entry["entry_hash"], position + 1
    return None
