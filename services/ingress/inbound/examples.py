"""Request and response examples shown on ``/docs`` for the inbound calls.

One GitHub organisation posts pushes to its source; a route forwards the pushes of one
repository to a CI service over HTTP.
"""

from __future__ import annotations

SOURCE_ID = "src_01JD3QZZ00B1C2D3E4F5G6H7J8"
ROUTE_ID = "rt_01JD3QZV00B1C2D3E4F5G6H7J8"
INBOUND_ID = "in_01JD3R0A00B1C2D3E4F5G6H7J8"
DELIVERY_ID = "dlv_01JD3R0E00B1C2D3E4F5G6H7J8"
CREATED = "2026-11-22T10:20:00.000Z"
RECEIVED = "2026-11-22T10:30:00.120Z"
BODY = '{"ref":"refs/heads/main","repository":{"full_name":"acme/api"}}'
SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

SOURCE_IN = {
    "name": "GitHub org",
    "provider": "github",
    "secret": "my-webhook-secret",
    "priority": 10,
    "match": {"headers": {"X-GitHub-Event": "*"}},
    "dedupe": {"header": "X-GitHub-Delivery", "window": "24h"},
}
SOURCE = {
    "id": SOURCE_ID,
    "name": "GitHub org",
    "provider": "github",
    "url": f"https://hooks.example.com/in/{SOURCE_ID}",
    "status": "verified",
    "verified_at": "2026-11-22T10:25:41.007Z",
    "verification": None,
    "has_secret": True,
    "priority": 10,
    "match": {"headers": {"X-GitHub-Event": "*"}},
    "response": None,
    "challenge_required": False,
    "enabled": True,
    "dedupe": {"header": "X-GitHub-Delivery", "window": "24h"},
    "created_at": CREATED,
    "updated_at": CREATED,
}
SOURCE_PATCH = {"priority": 20, "response": {"status": 200, "body": "thanks"}}

DESTINATION = {
    "type": "http",
    "url": "https://ci.example.com/github",
    "headers": {"authorization": "Bearer ci-token"},
    "timeout_ms": 10000,
}
ROUTE_IN = {
    "name": "api pushes to CI",
    "source_id": SOURCE_ID,
    "path": "git/*",
    "matches": {"$.repository.full_name": "acme/api"},
    "destination": DESTINATION,
}
ROUTE = {
    "id": ROUTE_ID,
    **ROUTE_IN,
    "priority": 0,
    "enabled": True,
    "created_at": CREATED,
    "updated_at": CREATED,
}
ROUTE_PATCH = {"matches": {"$.repository.full_name": "acme/web"}}

HEADERS = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/044aadd",
    "x-github-event": "push",
    "x-hub-signature-256": SIGNATURE,
}
RECEIVED_REQUEST = {
    "id": INBOUND_ID,
    "source_id": SOURCE_ID,
    "received_at": RECEIVED,
    "method": "POST",
    "path": "git/push",
    "query": "env=prod",
    "headers": HEADERS,
    "body": BODY,
    "body_encoding": "utf8",
    "verification": {"result": "verified", "scheme": "github"},
    "status": "accepted",
    "resubmission_of": None,
    "routed_at": "2026-11-22T10:30:00.180Z",
    "routes": [
        {
            "route_id": ROUTE_ID,
            "destination": "http",
            "outcome": "succeeded",
            "attempts": 1,
            "detail": {"delivery_id": DELIVERY_ID},
        }
    ],
}
ROUTE_ATTEMPT = {
    "id": "atm_01JD3R0F00B1C2D3E4F5G6H7J8",
    "delivery_id": DELIVERY_ID,
    "inbound_id": INBOUND_ID,
    "source_id": SOURCE_ID,
    "route_id": ROUTE_ID,
    "attempt": 1,
    "timestamp": "2026-11-22T10:30:00.250Z",
    "duration_ms": 18,
    "request": {
        "url": "https://ci.example.com/github?env=prod",
        "method": "POST",
        "headers": {
            **HEADERS,
            "authorization": "Bearer ci-token",
            "x-hookbus-inbound-id": INBOUND_ID,
            "x-hookbus-source-id": SOURCE_ID,
            "x-hookbus-route-id": ROUTE_ID,
        },
        "body": BODY,
        "body_encoding": "utf8",
    },
    "response": {"status": 204, "headers": {}, "body": ""},
    "error": None,
    "outcome": "succeeded",
}
RESUBMITTED = {"id": "in_01JD3R9K00B1C2D3E4F5G6H7J8", "resubmission_of": INBOUND_ID}
