"""Evidence of an activity: files (extension whitelist, signature check, size limit) or links."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from shnor.web.accounts.scope import User
from shnor.web.support.models import (
    Activity,
    Evidence,
)
from shnor.web.support.services.activities import _check_edit
from shnor.web.uploads import DOCUMENTS, upload_check

#: Allowed evidence files (``shnor.web.uploads.DOCUMENTS``).
EVIDENCE_EXTENSIONS = DOCUMENTS


def evidence_max_bytes() -> int:
    """Largest evidence file (``SUPPORT_EVIDENCE_MAX_MB`` setting, default 20 MB)."""
    return int(getattr(settings, "SUPPORT_EVIDENCE_MAX_MB", 20)) * 1024 * 1024


def evidence_add(
    *, actor: User, activity: Activity, upload: Any = None, url: str = "", title: str = ""
) -> Evidence:
    """Attach evidence: a file (extension whitelist, signature check, size limit) or an http(s) link."""
    _check_edit(actor, activity)
    if upload is None and not url.strip():
        raise ValidationError("приложите файл или укажите ссылку")
    if upload is not None:
        name, size = upload_check(upload, max_bytes=evidence_max_bytes(), allowed=EVIDENCE_EXTENSIONS)
        ev = Evidence(
            activity=activity,
            title=title.strip()[:300],
            original_name=name[:255],
            size=size,
            content_type=str(getattr(upload, "content_type", "") or "")[:120],
            uploaded_by=actor,
        )
        ev.file.save(re.sub(r"[^0-9A-Za-z._-]+", "_", name)[-100:] or "file", upload, save=False)
        ev.save()
        return ev
    link = url.strip()
    if not re.match(r"^https?://", link, re.IGNORECASE):
        raise ValidationError("ссылка должна начинаться с http:// или https://")
    return Evidence.objects.create(
        activity=activity, title=title.strip()[:300], url=link[:1000], uploaded_by=actor
    )


def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    """Remove evidence (and its file)."""
    _check_edit(actor, evidence.activity)
    if evidence.file:
        evidence.file.delete(save=False)
    evidence.delete()
