"""JSON answers rendered by orjson.

FastAPI deprecated its ``ORJSONResponse`` (it warns on every use); this is the same few lines
without the warning.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class OrjsonResponse(Response):
    """A JSON response whose body orjson encodes (datetimes, dataclasses and all)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Encode ``content``; raises ``orjson.JSONEncodeError`` for what JSON cannot hold."""
        return orjson.dumps(content)
