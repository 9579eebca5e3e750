"""Benchmarks outside the product package: ``shnor bench`` (national scale) and ``shnor loadtest`` (the
web)."""
