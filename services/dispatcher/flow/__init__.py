"""Flow control: per-endpoint lanes, rate limits, parking a slow endpoint's backlog, and the retry
tiers a failed attempt waits on."""
