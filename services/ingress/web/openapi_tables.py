"""What :mod:`services.ingress.web.openapi_doc` needs to know per operation: the model of each
answer a handler builds itself, the conflicts each operation can answer, and the example body
of each error status."""

from __future__ import annotations

from pydantic import BaseModel

from services.ingress.api import answer_models as m

# The answer of each operation whose handler builds its JSON itself: (method, path) → model.
ANSWERS: dict[tuple[str, str], type[BaseModel]] = {
    ("GET", "/healthz"): m.Alive,
    ("GET", "/readyz"): m.Readiness,
    ("POST", "/v1/apps"): m.App,
    ("GET", "/v1/apps"): m.Page[m.App],
    ("GET", "/v1/apps/{app}"): m.App,
    ("PATCH", "/v1/apps/{app}"): m.App,
    ("POST", "/v1/apps/{app}/endpoints"): m.Endpoint,
    ("GET", "/v1/apps/{app}/endpoints"): m.Page[m.Endpoint],
    ("GET", "/v1/apps/{app}/endpoints/{ep}"): m.Endpoint,
    ("PATCH", "/v1/apps/{app}/endpoints/{ep}"): m.Endpoint,
    ("POST", "/v1/apps/{app}/endpoints/{ep}/ping"): m.MessageSent,
    ("GET", "/v1/apps/{app}/endpoints/{ep}/secret"): m.Secret,
    ("POST", "/v1/apps/{app}/endpoints/{ep}/secret/rotate"): m.Secret,
    ("GET", "/v1/apps/{app}/endpoints/{ep}/attempts"): m.Page[m.Attempt],
    ("GET", "/v1/apps/{app}/endpoints/{ep}/stats"): m.EndpointStats,
    ("POST", "/v1/apps/{app}/endpoints/{ep}/recover"): m.Recovered,
    ("POST", "/v1/event-types"): m.EventType,
    ("GET", "/v1/event-types"): m.Page[m.EventType],
    ("GET", "/v1/event-types/{name}"): m.EventType,
    ("PATCH", "/v1/event-types/{name}"): m.EventType,
    ("POST", "/v1/apps/{app}/messages"): m.Message,
    ("GET", "/v1/apps/{app}/messages"): m.Page[m.Message],
    ("POST", "/v1/apps/{app}/messages/batch"): m.BatchAccepted,
    ("GET", "/v1/apps/{app}/messages/{msg}"): m.Message,
    ("GET", "/v1/apps/{app}/messages/{msg}/attempts"): m.Page[m.Attempt],
    ("POST", "/v1/apps/{app}/messages/{msg}/endpoints/{ep}/resend"): m.Resent,
    ("GET", "/v1/apps/{app}/attempts/{atm}"): m.Attempt,
    ("POST", "/v1/sources"): m.Source,
    ("GET", "/v1/sources"): m.Page[m.Source],
    ("GET", "/v1/sources/{src}"): m.Source,
    ("PATCH", "/v1/sources/{src}"): m.Source,
    ("POST", "/v1/routes"): m.Route,
    ("GET", "/v1/routes"): m.Page[m.Route],
    ("GET", "/v1/routes/{rt}"): m.Route,
    ("PATCH", "/v1/routes/{rt}"): m.Route,
    ("GET", "/v1/inbound"): m.Page[m.ReceivedRequest],
    ("GET", "/v1/inbound/{inbound_id}"): m.ReceivedRequest,
    ("GET", "/v1/inbound/{inbound_id}/attempts"): m.Page[m.RouteAttempt],
    ("POST", "/v1/inbound/{inbound_id}/resubmit"): m.Resubmitted,
    ("POST", "/v1/apps/{app}/portal-access"): m.PortalAccess,
}
# Conflicts each operation can answer, beside the rules (see the module docstring).
CONFLICTS: dict[tuple[str, str], str] = {
    ("POST", "/v1/apps"): "An app already has this uid",
    ("PATCH", "/v1/apps/{app}"): "Another app already has this uid",
    ("POST", "/v1/apps/{app}/endpoints"): "An endpoint of the app already has this uid",
    ("PATCH", "/v1/apps/{app}/endpoints/{ep}"): "Another endpoint already has this uid",
    ("POST", "/v1/apps/{app}/endpoints/{ep}/ping"): "The endpoint is disabled",
    ("POST", "/v1/apps/{app}/endpoints/{ep}/recover"): "The endpoint is disabled",
    ("POST", "/v1/apps/{app}/messages/{msg}/endpoints/{ep}/resend"): "The endpoint is disabled",
    ("POST", "/v1/event-types"): "An event type of this name exists",
    ("POST", "/v1/apps/{app}/messages"): "The id was published in the last 24 hours",
    ("POST", "/v1/inbound/{inbound_id}/resubmit"): "Only accepted requests can be resubmitted",
    ("PATCH", "/v1/event-types/{name}"): "A version dropped is still an endpoint's",
    ("DELETE", "/v1/event-types/{name}"): "A version of the type is still an endpoint's",
    ("POST", "/v1/dead-letters/{dl}/redrive"): "Its endpoint or route was deleted",
}
ERRORS: dict[int, tuple[str, str, str]] = {  # status → description, code, message
    400: (
        "Malformed: the body is not JSON",
        "malformed_json",
        "the request body is not valid JSON",
    ),
    401: ("Missing or wrong bearer token", "unauthorized", "missing or invalid bearer token"),
    403: ("A portal token outside its app or scope", "forbidden", "not allowed for this token"),
    404: ("Not found (or not this app's)", "not_found", "not found"),
    409: ("Conflict", "conflict", "conflict"),
    413: ("The body is too large", "payload_too_large", "request body over 1114112 bytes"),
    415: ("The body is not declared JSON", "unsupported_media_type", "send application/json"),
    422: ("Valid JSON, invalid content", "validation_error", "name: Field required"),
    431: ("Request line and headers too large", "header_fields_too_large", "over 32768 bytes"),
    503: ("Kafka or audit unavailable: nothing was accepted", "kafka_unavailable", "retry later"),
}
