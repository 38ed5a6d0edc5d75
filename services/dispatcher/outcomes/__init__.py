"""Outcomes: what an attempt leaves behind (its record, the endpoint's health and status,
operational events), all produced to Kafka."""
