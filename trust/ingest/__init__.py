"""Validated ingest of landing files into the warehouse."""
