"""Audit's received log: the tables, rows, queries, retention and API of received requests."""
