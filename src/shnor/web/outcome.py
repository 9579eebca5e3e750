"""What a file import did, for every app that imports files: the outcome record and its error report.

Shared by the registry's and the assessments' importers (and the CLI summary and the web pages), so
that neither app reaches into the other's private helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from shnor.core.ingest.errors import RowError
from shnor.core.reports.import_errors import write_error_report

if TYPE_CHECKING:  # a type only: the registry's importers must not pull in the assessments app
    from shnor.web.assessments.versions import VersionDiff


@dataclass
class ImportOutcome:
    """What one file's import did, for the CLI summary and the web page."""

    file: str
    status: str  # stored | replaced | unchanged | rejected | refused
    summary: str
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report: Path | None = None
    batch_id: str = ""
    #: for «refused»: what replacing the live version would change
    diff: VersionDiff | None = None

    @property
    def ok(self) -> bool:
        """True unless the file was rejected, or refused as a new version of a live file."""
        return self.status not in ("rejected", "refused")


def error_report_write(file: str, errors: list[RowError], summary: str, warnings: list[str]) -> Path | None:
    """The XLSX error report of an import under SHNOR_HOME/reports, or None when no row was rejected."""
    if not errors:
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return write_error_report(
        settings.HOME / "reports" / f"{Path(file).stem}-ошибки-{stamp}.xlsx",
        errors=errors,
        summary=[summary],
        warnings=warnings,
    )


def share_text(part: int, whole: int) -> str:
    """A share as Russian text: «12,5 %» (one decimal, a decimal comma), «0 %» of nothing."""
    return f"{100 * part / whole:.1f}".replace(".", ",") + " %" if whole else "0 %"


__all__ = ["ImportOutcome", "error_report_write", "share_text"]
