"""Assessments: import batches and reference data (the big rows live in core/store)."""
