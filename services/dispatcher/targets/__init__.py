"""Targets: where a delivery goes (an endpoint or an inbound route), the request it gets, and the
try itself over the guarded network."""
