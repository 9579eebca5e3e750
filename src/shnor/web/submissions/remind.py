"""Reminders of report requests from the command line or cron:
``python -m shnor.web.submissions.remind [YYYY-MM-DD]`` (idempotent: once per user, part and stage)."""

from __future__ import annotations

import datetime as dt
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Set up Django, call ``reminders_send(today=…)`` and print the counts."""
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shnor.web.settings")
    import django

    django.setup()
    from shnor.web.submissions.services import reminders_send

    today = dt.date.fromisoformat(args[0]) if args else dt.date.today()
    result = reminders_send(today=today)
    print(f"частей: {result['parts']}, уведомлений: {result['notices']}, писем: {result['emails']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
