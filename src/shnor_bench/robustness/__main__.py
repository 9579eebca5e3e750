"""``python -m shnor_bench.robustness``: the robustness suite's tables (see docs/objectivity.md)."""

from __future__ import annotations

from shnor_bench.robustness.cli import main

if __name__ == "__main__":
    main()
