"""Portal tokens: what a token carries comes back only from a token this key signed, and which
calls a portal token may make."""

from __future__ import annotations

import pytest

from services.ingress.web import portal_tokens
from services.ingress.web.portal_scope import judge
from services.ingress.web.portal_tokens import Grant, InvalidToken

KEY = portal_tokens.signing_key("admin-token")
GRANT = Grant("app_1", read_only=True, expires=2_000_000_000, issued_ms=1_700_000_000_000)


def test_a_token_carries_its_grant_under_its_key_only() -> None:
    token = portal_tokens.issue(KEY, GRANT)
    assert portal_tokens.is_portal_token(token)
    assert portal_tokens.verify(KEY, token) == GRANT
    assert portal_tokens.issue(KEY, GRANT) != token  # each issue is a new token
    with pytest.raises(InvalidToken):
        portal_tokens.verify(portal_tokens.signing_key("another-admin-token"), token)
    for broken in (token[:-2], token.replace(".", ""), "hbp_", "hbp_e30.", token + "x"):
        with pytest.raises(InvalidToken):
            portal_tokens.verify(KEY, broken)


@pytest.mark.parametrize(
    ("method", "path", "app", "permitted", "writes"),
    [
        ("GET", "/v1/apps/acme", "acme", True, False),
        ("PATCH", "/v1/apps/acme", "acme", False, True),
        ("POST", "/v1/apps/acme/endpoints", "acme", True, True),
        ("POST", "/v1/apps/acme/endpoints/ep_1/secret/rotate", "acme", True, True),
        ("POST", "/v1/apps/acme/messages", "acme", False, True),
        ("POST", "/v1/apps/acme/messages/batch", "acme", False, True),
        ("GET", "/v1/apps/acme/messages/msg_1/attempts", "acme", True, False),
        ("POST", "/v1/apps/acme/messages/msg_1/endpoints/ep_1/resend", "acme", True, True),
        ("POST", "/v1/apps/acme/messages/msg_1/expunge", "acme", False, True),
        ("POST", "/v1/apps/acme/replay", "acme", True, True),
        ("GET", "/v1/apps/acme/stream", "acme", True, False),
        ("POST", "/v1/apps/acme/portal-access", "acme", False, True),
        ("GET", "/v1/event-types", None, True, False),
        ("POST", "/v1/event-types", None, False, True),
        ("POST", "/v1/filters/test", None, True, False),
        ("GET", "/v1/apps", None, False, False),
        ("GET", "/v1/sources", None, False, False),
        ("GET", "/v1/tasks/task_1", None, False, False),
    ],
)
def test_what_a_portal_token_may_call(
    method: str, path: str, app: str | None, permitted: bool, writes: bool
) -> None:
    call = judge(method, path)
    assert (call.app_ref, call.permitted, call.writes) == (app, permitted, writes)
