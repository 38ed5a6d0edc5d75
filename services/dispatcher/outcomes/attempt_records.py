"""The attempt record as it goes to Kafka: encoded to its contract, cut to fit a record."""

from __future__ import annotations

import logging

from services.dispatcher.targets.target import AnyAttempt
from shared.contracts import Contract, encode
from shared.inbound import BASE64
from shared.record_fit import fit_text

log = logging.getLogger(__name__)


def fitted(record: AnyAttempt, contract: Contract, ids: dict[str, str]) -> bytes:
    """The attempt ``record`` encoded to its ``contract``, with the copy of the request body
    cut short when the whole would not fit a Kafka record (the delivery keeps the full body)."""
    request = record["request"]
    body: str = request["body"]
    step = 4 if request.get("body_encoding") == BASE64 else 1  # base64 stays decodable

    def with_body(text: str) -> bytes:
        return encode(contract, {**record, "request": {**request, "body": text}})

    value, kept = fit_text(with_body, body, step=step)
    if kept < len(body):
        log.warning("attempt's request body cut in the log", extra={**ids, "kept": kept})
    return value
