"""Where a portal token's ``/v1`` call is let through or refused (called by the front door).

In this order: a token this server did not sign, an expired one or a revoked one answers 401;
a path naming another app (or none that exists) 404, exactly as a missing app answers; a call
no portal token may make 403; a write with a read-only token 403. A call let through carries
its :class:`~services.ingress.web.portal_tokens.Grant` in ``request.state.portal_grant``.
"""

from __future__ import annotations

import time

from starlette.requests import Request

from services.ingress.publish.config_store import ConfigStore
from services.ingress.web import portal_tokens
from services.ingress.web.portal_scope import judge
from shared import clock
from shared.errors import ApiError, Forbidden, KafkaUnavailable, NotFound, Unauthorized

# The config record that revokes an app's portal tokens: key ``portal_revocation/<app id>``.
REVOCATION = "portal_revocation"


class ConfigUnavailable(ApiError):
    """Kafka did not answer, so revocations cannot be known: nothing is let through."""

    status, code = 503, "kafka_unavailable"


class PortalGate:
    """Checks portal tokens against their signature, expiry, revocations and scope."""

    def __init__(self, admin_token: str, config: ConfigStore) -> None:
        self.key = portal_tokens.signing_key(admin_token)
        self.config = config

    def issue(self, grant: portal_tokens.Grant) -> str:
        """A signed token carrying ``grant``."""
        return portal_tokens.issue(self.key, grant)

    async def check(self, request: Request, token: str) -> None:
        """Let this portal-token call through, or raise the :class:`ApiError` refusing it."""
        try:
            grant = portal_tokens.verify(self.key, token)
        except portal_tokens.InvalidToken:
            raise Unauthorized("missing or invalid bearer token") from None
        if grant.expires <= time.time():
            raise Unauthorized("this portal token has expired")
        try:
            # Revocations and app uids as of now, whichever ingress copy wrote them.
            await self.config.fresh()
        except KafkaUnavailable:
            raise ConfigUnavailable("Kafka is unavailable; the token cannot be checked") from None
        if self._revoked(grant):
            raise Unauthorized("this portal token was revoked")
        call = judge(request.method, request.url.path)
        if call.app_ref is not None:
            app = self.config.view.lookup("app", call.app_ref)
            if app is None or app["id"] != grant.app_id:
                raise NotFound(f"app {call.app_ref!r} not found", {"app": call.app_ref})
        if not call.permitted:
            raise Forbidden("a portal token cannot make this call")
        if call.writes and grant.read_only:
            raise Forbidden("this portal token is read-only")
        request.scope.setdefault("state", {})["portal_grant"] = grant

    def _revoked(self, grant: portal_tokens.Grant) -> bool:
        revocation = self.config.view.get(REVOCATION, grant.app_id)
        if revocation is None:
            return False
        revoked_ms = int(clock.parse(revocation["revoked_at"]).timestamp() * 1000)
        return grant.issued_ms <= revoked_ms
