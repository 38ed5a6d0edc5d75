"""Moved to :mod:`services.ingress.web.portal_gate`.

Kept while ``services/ingress/front_door.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.web.portal_gate import PortalGate

__all__ = ["PortalGate"]
