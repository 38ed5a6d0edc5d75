"""The audit database as the consumer sees it: open it, write a batch at once, check it.

Every method blocks on the database: async code calls them in a worker thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Engine, Table, text

from services.audit.database import open_engine, upsert_for
from services.audit.erasure import erase_stored
from services.audit.rows import Row
from services.audit.schema import metadata


class Store:
    """Idempotent writes into the audit tables; reads live in :mod:`services.audit.queries`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert_or_ignore = upsert_for(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (and create if needed) the database at ``url``; see :func:`open_engine`."""
        return cls(open_engine(url))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not reachable" to a readiness probe
            return False
        return True

    def write_batch(self, rows: Iterable[tuple[Table, Row]]) -> int:
        """Insert every row in one transaction, ignoring rows whose key is already there.

        Replaying a batch therefore changes nothing. What the batch stored of an erased message
        is erased in the same transaction (see :mod:`.erasure`). Returns the number of rows
        offered.
        Raises SQLAlchemy errors (nothing of the batch is kept then).
        """
        by_table: dict[Table, list[Row]] = defaultdict(list)
        for table, row in rows:
            by_table[table].append(row)
        with self.engine.begin() as conn:
            # Parents before children, in the order the metadata knows them.
            for table in metadata.sorted_tables:
                if by_table.get(table):
                    conn.execute(self._insert_or_ignore(table), by_table[table])
            erase_stored(conn, by_table)
        return sum(len(found) for found in by_table.values())
