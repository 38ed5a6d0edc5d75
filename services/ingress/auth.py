"""Moved to :mod:`services.ingress.web.auth`.

Kept while ``services/ingress/front_door.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.web.auth import refusal_without_token

__all__ = ["refusal_without_token"]
