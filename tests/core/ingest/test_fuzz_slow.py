"""The importers' properties of ``test_fuzz`` with 10,000 examples each (``pytest -m slow
tests/core/ingest``); the ordinary run has 40. Figures in docs/benchmarks.md."""

from __future__ import annotations

import pytest

from tests.core.ingest.test_fuzz import fuzz_settings, properties

pytestmark = pytest.mark.slow

(
    test_random_cells_never_crash_10k,
    test_swapped_columns_and_encodings_read_the_same_10k,
    test_truncated_or_corrupted_xlsx_is_a_clear_error_10k,
    test_service_import_never_writes_partly_10k,
) = properties(fuzz_settings(10_000))
test_service_import_never_writes_partly_10k = pytest.mark.django_db(
    test_service_import_never_writes_partly_10k
)
