"""National-scale benchmarks: ``shnor bench`` (generate, import, identify, Polars vs pandas aggregates)."""
