"""Seeded simulator of a smart-factory fleet that writes contract-valid datasets."""
