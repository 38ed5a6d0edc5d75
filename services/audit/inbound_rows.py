"""Moved to :mod:`services.audit.inbound.rows`; kept while ``services/audit/batch.py`` (issue 12
owns it) still imports it from here."""

from services.audit.inbound.rows import contract_for

__all__ = ["contract_for"]
