"""Routing inbound requests: which routes match, and what each destination receives."""
