"""Benchmarks outside the product: ``shnor bench`` (national scale) and ``shnor loadtest`` (the web)."""
