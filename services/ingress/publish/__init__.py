"""Writing to Kafka and reading it back: the publish use-case, config writes, the reply
inbox, the message log's read-your-writes barrier, the Kafka probe and operational events."""
