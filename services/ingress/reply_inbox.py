"""Moved to :mod:`services.ingress.publish.reply_inbox`.

Kept while ``services/ingress/main.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.publish.reply_inbox import start_inbox

__all__ = ["start_inbox"]
