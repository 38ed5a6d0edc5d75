"""Moved to :mod:`services.ingress.web.hub` (the request-wide state is called the hub); kept
while ``main.py``, ``publisher.py`` and ``publishing.py`` (issue 12 owns them) import the old
name from here. Delete once they import ``Hub`` from the new module."""

from services.ingress.web.hub import Hub as Ingress

__all__ = ["Ingress"]
