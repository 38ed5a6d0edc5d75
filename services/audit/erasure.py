"""Erasure: removing payloads and bodies from the log while keeping its rows.

An erased message shows ``payload: null`` and ``expunged: true``; each of its attempts shows
``request.body`` and ``response.body`` null with ``expunged: true``; a dead letter of one of
its deliveries shows ``record: null``. Two ways in:

- a request for one message (:func:`expunge_message`), also remembered in
  ``expunged_messages`` so that what audit stores of it later (an attempt made after the
  request, a dead letter) is erased as it is stored (:func:`erase_late`);
- an app's ``retention``: every round, what of the app is older than that is erased, a batch
  at a time (:func:`erase_older`).

Every function blocks on the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, bindparam, select, tuple_, update

from services.audit.database import upsert_for
from services.audit.rows import Row, epoch_ms
from services.audit.schema import attempts, dead_letters, expunged_messages, messages

BATCH_ROWS = 500
ERASED = "null"


def _erase_bodies(conn: Connection, rows: Iterable[Any]) -> int:
    """Null the request and response bodies of the attempt ``rows`` (id, request, response)."""
    changes = []
    for row in rows:
        request = orjson.loads(row.request)
        request["body"] = None
        response = None if row.response is None else orjson.loads(row.response)
        if response is not None:
            response["body"] = None
        changes.append(
            {
                "row_id": row.id,
                "request": orjson.dumps(request).decode(),
                "response": None if response is None else orjson.dumps(response).decode(),
            }
        )
    if changes:
        statement = (
            update(attempts)
            .where(attempts.c.id == bindparam("row_id"))
            .values(request=bindparam("request"), response=bindparam("response"), expunged=True)
        )
        conn.execute(statement, changes)
    return len(changes)


def erase_message(conn: Connection, app_id: str, message_id: str) -> None:
    """Erase one message's payload, its attempts' bodies and its dead letters' records."""
    conn.execute(
        update(messages)
        .where(messages.c.app_id == app_id, messages.c.id == message_id)
        .values(payload=ERASED, expunged=True)
    )
    tried = select(attempts.c.id, attempts.c.request, attempts.c.response).where(
        attempts.c.app_id == app_id,
        attempts.c.message_id == message_id,
        attempts.c.expunged.is_(False),
    )
    _erase_bodies(conn, conn.execute(tried).all())
    conn.execute(
        update(dead_letters)
        .where(dead_letters.c.app_id == app_id, dead_letters.c.message_id == message_id)
        .values(record="", expunged=True)
    )


def expunge_message(engine: Engine, app_id: str, message_id: str, at: str) -> None:
    """Erase the message now and remember the request, in one transaction."""
    with engine.begin() as conn:
        conn.execute(upsert_for(engine)(expunged_messages), [expunge_row(app_id, message_id, at)])
        erase_message(conn, app_id, message_id)


def expunge_row(app_id: str, message_id: str, at: str) -> Row:
    """The ``expunged_messages`` row remembering an erasure request."""
    return {"app_id": app_id, "message_id": message_id, "at": at, "at_ms": epoch_ms(at)}


def erase_stored(conn: Connection, by_table: dict[Table, list[Row]]) -> None:
    """After a batch was stored: carry out the erasure requests it held, and erase what it
    stored of messages erased before."""
    for row in by_table.get(expunged_messages, []):
        erase_message(conn, row["app_id"], row["message_id"])
    erase_late(
        conn, [row for t in (messages, attempts, dead_letters) for row in by_table.get(t, [])]
    )


def erase_late(conn: Connection, stored: Iterable[Row]) -> None:
    """Erase, among the just stored rows (messages, attempts, dead letters), those of messages
    expunged before they arrived."""
    named = {
        (row["app_id"], row.get("message_id") or row.get("id"))
        for row in stored
        if row.get("app_id") and (row.get("message_id") or row.get("id"))
    }
    if not named:
        return
    key = tuple_(expunged_messages.c.app_id, expunged_messages.c.message_id)
    query = select(expunged_messages.c.app_id, expunged_messages.c.message_id).where(
        key.in_(list(named))
    )
    for app_id, message_id in conn.execute(query).all():
        erase_message(conn, app_id, message_id)


def erase_older(engine: Engine, app_id: str, before_ms: int, batch_rows: int = BATCH_ROWS) -> int:
    """Erase the app's message payloads and attempt bodies older than ``before_ms``, a batch per
    transaction; return how many rows were erased."""
    erased = 0
    m = messages.c
    while True:
        chosen = (
            select(m.app_id, m.id)
            .where(m.app_id == app_id, m.expunged.is_(False), m.ts_ms < before_ms)
            .limit(batch_rows)
        )
        with engine.begin() as conn:
            count = conn.execute(
                update(messages)
                .where(tuple_(m.app_id, m.id).in_(chosen))
                .values(payload=ERASED, expunged=True)
            ).rowcount
        erased += count
        if count < batch_rows:
            break
    a = attempts.c
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(a.id, a.request, a.response)
                .where(a.app_id == app_id, a.expunged.is_(False), a.ts_ms < before_ms)
                .limit(batch_rows)
            ).all()
            count = _erase_bodies(conn, rows)
        erased += count
        if count < batch_rows:
            break
    with engine.begin() as conn:
        d = dead_letters.c
        erased += conn.execute(
            update(dead_letters)
            .where(d.app_id == app_id, d.expunged.is_(False), d.at_ms < before_ms)
            .values(record="", expunged=True)
        ).rowcount
    return erased
