"""Intake: reading the deliveries and retry topics into jobs, decoding each record, tracking which
offsets may be committed, pausing partitions that are full."""
