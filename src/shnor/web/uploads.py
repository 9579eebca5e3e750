"""Checks of a file a user attaches (roadmap evidence, a school's answer in a case, a practice's material,
a support decision's execution): an allowed type whose first bytes match it, not empty, not too large.
One place for every app, so the rules and their Russian messages are the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError

_ZIP, _OLE = (b"PK\x03\x04",), (b"\xd0\xcf\x11\xe0",)

#: Documents, spreadsheets, presentations, archives, images and text: extension → the bytes such a file
#: starts with (empty: a text file, which must hold no NUL byte).
DOCUMENTS: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".docx": _ZIP,
    ".xlsx": _ZIP,
    ".pptx": _ZIP,
    ".odt": _ZIP,
    ".ods": _ZIP,
    ".odp": _ZIP,
    ".zip": _ZIP,
    ".doc": _OLE,
    ".xls": _OLE,
    ".ppt": _OLE,
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".txt": (),
    ".csv": (),
}

MB = 1024 * 1024


def upload_name(upload: Any) -> str:
    """The file's own name, without any folder a browser may send and without NUL bytes."""
    return PurePath(str(upload.name).replace("\\", "/")).name.replace("\x00", "")


def upload_check(
    upload: Any, *, max_bytes: int, allowed: Mapping[str, tuple[bytes, ...]] = DOCUMENTS
) -> tuple[str, int]:
    """``(name, size)`` of an acceptable upload; a ValidationError in Russian naming the file otherwise."""
    name = upload_name(upload)
    ext = PurePath(name).suffix.lower()
    if ext not in allowed:
        raise ValidationError(f"файл «{name}»: недопустимый тип; разрешены {', '.join(sorted(allowed))}")
    size = int(getattr(upload, "size", 0) or 0)
    if size > max_bytes:
        shown = f"{size / MB:.1f}".replace(".", ",")
        raise ValidationError(f"файл «{name}»: {shown} МБ, больше допустимых {max_bytes // MB} МБ")
    if size == 0:
        raise ValidationError(f"файл «{name}» пустой")
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    magic = allowed[ext]
    if magic and not any(head.startswith(m) for m in magic):
        raise ValidationError(f"файл «{name}»: содержимое не соответствует расширению {ext}")
    if not magic and b"\x00" in head:
        raise ValidationError(f"файл «{name}»: ожидается текстовый файл")
    return name, size
