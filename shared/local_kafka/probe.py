"""Ask a Kafka broker whether it serves requests, with a raw Metadata request.

A raw request keeps this dependency-free and usable from any thread, including code that already
runs an asyncio loop (``asyncio.run`` would refuse there).
"""

from __future__ import annotations

import socket
import struct

_METADATA_API_KEY = 3
# Metadata v4 is the oldest version Kafka 4 still accepts (KIP-896) and the newest with the
# simple, non-"flexible" encoding.
_METADATA_VERSION = 4
_CLIENT_ID = b"hookbus-local-kafka-probe"
_CORRELATION_ID = 0x686B6273
_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def broker_ready(host: str, port: int, timeout: float = 2.0) -> bool:
    """Return True when the broker at ``host:port`` answers a Metadata request that lists at least
    one broker, i.e. it has registered with its controller and serves clients.

    Blocks for at most about ``timeout`` seconds per socket operation. Never raises for network
    problems: they just mean "not ready".
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(_metadata_request())
            (size,) = struct.unpack(">i", _receive_exactly(sock, 4))
            if not 0 < size <= _MAX_RESPONSE_BYTES:
                return False
            return _broker_count(_receive_exactly(sock, size)) > 0
    except (OSError, struct.error):
        return False


def _metadata_request() -> bytes:
    # Request header v1: api_key, api_version, correlation_id, client_id (int16-length string).
    header = struct.pack(
        ">hhih", _METADATA_API_KEY, _METADATA_VERSION, _CORRELATION_ID, len(_CLIENT_ID)
    )
    # Body v4: topics = null array (-1: no topic details needed), allow_auto_topic_creation.
    body = struct.pack(">i?", -1, False)
    payload = header + _CLIENT_ID + body
    return struct.pack(">i", len(payload)) + payload


def _broker_count(response: bytes) -> int:
    # Response v4 starts with: correlation_id int32, throttle_time_ms int32, brokers array length.
    correlation_id, _throttle_ms, brokers = struct.unpack_from(">iii", response)
    return int(brokers) if correlation_id == _CORRELATION_ID else 0


def _receive_exactly(sock: socket.socket, count: int) -> bytes:
    chunks: list[bytes] = []
    remaining = count
    while remaining > 0:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
