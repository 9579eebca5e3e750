"""Roadmap reminders from the command line or cron: ``python -m shnor.web.support.remind [YYYY-MM-DD]``."""

from __future__ import annotations

import datetime as dt
import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Set up Django, call ``support_reminders_send(today=…)`` and print the counts."""
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shnor.web.settings")
    import django

    django.setup()
    from shnor.web.support.services import support_reminders_send

    today = dt.date.fromisoformat(args[0]) if args else dt.date.today()
    result = support_reminders_send(today=today)
    print(f"мероприятий: {result['activities']}, уведомлений: {result['notices']}, писем: {result['emails']}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
