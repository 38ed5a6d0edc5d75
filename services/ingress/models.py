"""Moved to :mod:`services.ingress.api.models`.

Kept while ``services/ingress/publishing.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.api.models import MessageIn

__all__ = ["MessageIn"]
