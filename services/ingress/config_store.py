"""Moved to :mod:`services.ingress.publish.config_store`.

Kept while ``services/ingress/main.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.publish.config_store import ConfigStore

__all__ = ["ConfigStore"]
