"""Test-wide fixtures: a real Kafka broker for the whole session (see tests/kafka_broker.py)."""

pytest_plugins = ["tests.kafka_broker"]
