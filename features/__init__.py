"""Point-in-time features, labels, the data contract and its validation (polars, numpy)."""
