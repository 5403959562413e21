from sqlalchemy import DDL, String, event
from sqlalchemy.orm import Mapped, mapped_column

from equipment_share.models.base import Base


class CatalogueRevision(Base):
    """One row: a token that the database itself replaces whenever an instrument or an
    organisation is added, changed or removed (TRIGGERS below), by any statement, ORM or not.
    The public catalogue's fingerprint (services/page_fingerprints.py) reads it instead of
    scanning every instrument.

    The token is random, not a counter, so that it never comes back to a value a cached page was
    kept under. Writing it takes the row's lock until the change commits: two changes to the
    catalogue commit one after the other, and a token is only seen with every change before it.
    On PostgreSQL the token is written once per transaction, at its commit (a deferred trigger
    that notes in a transaction-local setting that it ran): the lock is taken after every other
    lock the transaction holds, so it adds no deadlock between two transactions that change
    instruments in different orders, and a bulk load writes it once.
    A SQLite batch migration that rebuilds `equipment` or `organizations` must create their
    triggers again.
    """

    __tablename__ = "catalogue_revision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(36))


CATALOGUE_TABLES = ("equipment", "organizations")
TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {table}_catalogue_{verb.lower()} AFTER {verb} ON {table} "
        "BEGIN INSERT OR REPLACE INTO catalogue_revision (id, token) "
        "VALUES (1, lower(hex(randomblob(16)))); END"
        for table in CATALOGUE_TABLES
        for verb in ("INSERT", "UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION catalogue_revision_bump() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('equipment_share.catalogue_revised', true) IS DISTINCT FROM 'yes' "
        "THEN PERFORM set_config('equipment_share.catalogue_revised', 'yes', true); "
        "INSERT INTO catalogue_revision (id, token) VALUES (1, gen_random_uuid()::text) "
        "ON CONFLICT (id) DO UPDATE SET token = excluded.token; END IF; RETURN NULL; END $$",
        *(
            f"CREATE CONSTRAINT TRIGGER {table}_catalogue_revision "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION catalogue_revision_bump()"
            for table in CATALOGUE_TABLES
        ),
    ],
}
# on the metadata, not the table: the triggers need the tables they watch to exist first
for dialect, statements in TRIGGERS.items():
    for statement in statements:
        event.listen(Base.metadata, "after_create", DDL(statement).execute_if(dialect=dialect))
