"""Moved to :mod:`services.ingress.publish.operational`.

Kept while ``services/ingress/main.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.publish.operational import ensure_operational_app

__all__ = ["ensure_operational_app"]
