"""Training as a generator of records, the shared trained-model store, shipped weights."""
