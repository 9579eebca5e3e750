"""Snapshot and compare the outputs of `shnor identify` (demo region and the real Altai files).

    python scripts/identify_golden.py snapshot DIR [--seed 1] [--real ../shared/real]
    python scripts/identify_golden.py compare DIR_BEFORE DIR_AFTER

`snapshot` builds each case in a fresh SHNOR_HOME through the console script (the demo region with
`shnor demo`, then `shnor identify --out`; the real Altai ВПР files with `shnor import vpr`, then
`shnor identify --out`), and keeps the CSV files as written and every XLSX sheet as tab-separated cell
values (a workbook's zip carries its creation time, so its bytes differ between two identical runs),
plus the stored run: its summary, settings and every school outcome with its evidence (`outcomes.jsonl`).
`compare` says which files differ and exits non-zero if any do: a restructure must leave them equal.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHNOR = ROOT / ".venv" / "bin" / "shnor"
REAL_FILES = ("vpr_2020autumn_ma5_altai.xlsx", "vpr_2021_ma4_altai.xlsx")


def _shnor(home: Path, *args: str) -> None:
    """Run one `shnor` command in the given SHNOR_HOME, failing loudly."""
    env = {**os.environ, "SHNOR_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([str(SHNOR), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"shnor {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


DUMP = """
import json, sys
from shnor.cli import django_setup
django_setup()
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
run = MethodologyRun.objects.filter(year=int(sys.argv[1])).order_by("-pk").first()
out = open(sys.argv[2], "w", encoding="utf-8")
out.write(json.dumps({"summary": run.summary, "config": run.config, "digest": run.config_digest},
                     ensure_ascii=False, sort_keys=True, default=str) + "\\n")
rows = (
    SchoolOutcome.objects.filter(run=run)
    .select_related("school")
    .order_by("method", "school__school_id", "pk")
)
for o in rows:
    out.write(json.dumps([o.method, o.school.school_id, o.flagged, o.value, o.label, o.data],
                         ensure_ascii=False, sort_keys=True, default=str) + "\\n")
"""


def _outcomes(home: Path, year: int, into: Path) -> None:
    """The stored run of that year: its summary, settings and every school outcome with its evidence."""
    env = {**os.environ, "SHNOR_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    py = ROOT / ".venv" / "bin" / "python"
    subprocess.run([str(py), "-c", DUMP, str(year), str(into / "outcomes.jsonl")], env=env, check=True)


def _xlsx_to_tsv(book: Path, into: Path) -> None:
    """Every sheet of a workbook as one TSV file of its cell values."""
    import openpyxl

    wb = openpyxl.load_workbook(book, read_only=True)
    for ws in wb.worksheets:
        lines = [
            "\t".join("" if v is None else repr(v) for v in row) for row in ws.iter_rows(values_only=True)
        ]
        (into / f"{book.stem}.{ws.title}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _keep(out: Path, into: Path) -> None:
    """Copy CSV outputs, flatten XLSX outputs."""
    into.mkdir(parents=True, exist_ok=True)
    for f in sorted(out.iterdir()):
        if f.suffix == ".xlsx":
            _xlsx_to_tsv(f, into)
        elif f.is_file():
            shutil.copy2(f, into / f.name)


def snapshot(target: Path, seed: int, real: Path) -> None:
    """Build the demo and Altai cases and keep their identify outputs under target."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"
        _shnor(home, "demo", "--seed", str(seed))
        for year in (2023, 2024):
            _shnor(home, "identify", "--year", str(year), "--out", str(Path(tmp) / f"demo-{year}"))
            _keep(Path(tmp) / f"demo-{year}", target / f"demo-{year}")
            _outcomes(home, year, target / f"demo-{year}")
        home = Path(tmp) / "altai"
        _shnor(home, "import", "vpr", *(str(real / f) for f in REAL_FILES))
        for year in (2020, 2021):
            _shnor(home, "identify", "--year", str(year), "--out", str(Path(tmp) / f"altai-{year}"))
            _keep(Path(tmp) / f"altai-{year}", target / f"altai-{year}")
            _outcomes(home, year, target / f"altai-{year}")
    print(f"snapshot in {target}: {sum(1 for _ in target.rglob('*') if _.is_file())} files")


def compare(a: Path, b: Path) -> int:
    """Number of files that differ (or exist on one side only) between two snapshots."""
    names = sorted(
        {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
        | {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    )
    bad = 0
    for n in names:
        x, y = a / n, b / n
        if not x.exists() or not y.exists():
            print(f"only on one side: {n}")
            bad += 1
        elif not filecmp.cmp(x, y, shallow=False):
            print(f"differs: {n}")
            bad += 1
    print(f"{len(names)} files compared, {bad} differ")
    return bad


def main() -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("dir", type=Path)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "real")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.cmd == "snapshot":
        snapshot(args.dir, args.seed, args.real)
    else:
        sys.exit(1 if compare(args.before, args.after) else 0)


if __name__ == "__main__":
    main()
