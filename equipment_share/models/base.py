"""Declarative base and the column types every model shares: UTC instants and exact money."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FEN = Decimal("0.01")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


ModelT = TypeVar("ModelT", bound=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_loaded(model: type[ModelT], values: dict) -> ModelT:
    """An instance of `model` holding `values`, every column of its row with the id, as if
    loaded from the row and detached (session.add makes it persistent, with nothing to flush):
    for a row written by one INSERT outside the unit of work. The values go into the
    instance's state directly: the constructor's attribute events cost about as much CPU as
    the INSERT on the booking path (benchmarks/profile_booking.py)."""
    instance = model.__mapper__.class_manager.new_instance()
    instance_state(instance).dict.update(values)
    make_transient_to_detached(instance)  # an identity key; relationships load when read
    return instance


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps no offset, so it is added back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """CNY as Decimal in Python, integer fen in the database: exact on every backend."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        fen = (Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(fen)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(FEN)


RATE_UNIT = Decimal("0.0001")


class Rate(TypeDecorator):
    """A fraction such as a subsidy rate (0.3000) as Decimal in Python, integer ten-thousandths
    in the database: exact on SQLite too, which has no decimal type."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) / RATE_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) * RATE_UNIT).quantize(RATE_UNIT)
