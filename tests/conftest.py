"""Test-wide fixtures: a real Kafka broker and a real PostgreSQL server for the whole session
(see tests/kafka_broker.py and tests/postgres_server.py)."""

pytest_plugins = ["tests.kafka_broker", "tests.postgres_server"]
