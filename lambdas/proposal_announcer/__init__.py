"""New proposals -> their approval message in the channel (from the proposals table's stream)."""
