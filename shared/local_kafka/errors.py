"""The one exception type raised by :mod:`shared.local_kafka`."""

from __future__ import annotations

from shared.errors import HookbusError


class LocalKafkaError(HookbusError):
    """The local Kafka broker could not be installed, started or stopped.

    The message says what went wrong and, for a broker that failed, quotes the end of its log.
    """
