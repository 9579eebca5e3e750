"""Evidence of an activity: files (extension whitelist, signature check, size limit) or links."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from shnor.web.accounts.scope import User
from shnor.web.support.models import (
    Activity,
    Evidence,
)
from shnor.web.support.services.activities import _check_edit

EVIDENCE_EXTENSIONS = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": (),
    ".csv": (),
}


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
        name = PurePath(str(upload.name)).name
        ext = PurePath(name).suffix.lower()
        if ext not in EVIDENCE_EXTENSIONS:
            raise ValidationError(
                f"файл «{name}»: недопустимый тип; разрешены {', '.join(sorted(EVIDENCE_EXTENSIONS))}"
            )
        size = int(getattr(upload, "size", 0) or 0)
        if size > evidence_max_bytes():
            raise ValidationError(
                f"файл «{name}»: {size / 1048576:.1f} МБ, "
                f"больше допустимых {evidence_max_bytes() // 1048576} МБ"
            )
        if size == 0:
            raise ValidationError(f"файл «{name}» пустой")
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        magic = EVIDENCE_EXTENSIONS[ext]
        if magic and not any(head.startswith(m) for m in magic):
            raise ValidationError(f"файл «{name}»: содержимое не соответствует расширению {ext}")
        if not magic and b"\x00" in upload.read(4096):
            raise ValidationError(f"файл «{name}»: ожидается текстовый файл")
        upload.seek(0)
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
