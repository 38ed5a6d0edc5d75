"""Moved to :mod:`services.ingress.publish.kafka_probe`.

Kept while ``services/ingress/main.py`` (issue 12 owns it) imports it from here; delete once
that import names the new module.
"""

from services.ingress.publish.kafka_probe import KafkaProbe

__all__ = ["KafkaProbe"]
