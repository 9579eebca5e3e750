"""The audit journal in words: Russian actions, object kinds and field names, values as a person reads them.

Entries keep what was written (model labels such as ``monitoring.indicatorvalue``, field names, raw values);
the journal page shows them through :func:`entry_view`, so old entries read as well as new ones."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import Model

from shnor.core import labels
from shnor.web.accounts.models import AuditEntry

ACTIONS = {
    "create": "создание",
    "update": "изменение",
    "delete": "удаление",
    "import": "загрузка файла",
    "export": "выгрузка",
    "login": "вход",
    "logout": "выход",
}
#: Keys written by services rather than model fields.
KEYS = {
    "relation": "связь",
    "action": "действие",
    "ids": "номера записей",
    "file": "файл",
    "filename": "файл",
    "rows": "строк",
    "year": "год",
    "kind": "вид",
    "reason": "основание",
    "status": "статус",
    "old": "было",
    "new": "стало",
    "count": "число",
    "school": "школа",
    "municipality": "муниципалитет",
    "region": "регион",
    "role": "роль",
    "version": "версия",
    "comment": "комментарий",
    "title": "название",
    "name": "название",
    "value": "значение",
    "note": "примечание",
    "schools": "школ",
    "created": "создано",
    "updated": "обновлено",
    "skipped": "пропущено",
    "errors": "ошибок",
}
M2M_ACTIONS = {"post_add": "добавлены", "post_remove": "убраны", "post_clear": "очищены"}
DIGEST = re.compile(r"^[0-9a-f]{24,}$")
HEX_RUN = re.compile(r"\b[0-9a-f]{12,}\b")  # checksums inside a description
LATIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
CODE_VALUE = re.compile(r"^[a-z][a-z0-9_.\-]*$")  # a stored code (status, track, template) with no label
MAX_ITEMS = 12
#: Codes stored in JSON fields (tracks, list kinds, methods, signs) and their words.
CODES = {
    **labels.METHOD_TITLES,
    **labels.LIST_LABELS,
    **labels.SIGN_LABELS,
    **labels.TRACK_LABELS,
    **labels.PROCEDURE_LABELS,
    **labels.SUBJECT_NAMES,
    "done": "готово",
    "ok": "готово",
    "finished": "завершён",
    "failed": "ошибка",
    "running": "выполняется",
    "queued": "в очереди",
    "draft": "проект",
    "approved": "утверждён",
    "rejected": "отклонён",
    "refused": "ждёт подтверждения",
    "unchanged": "без изменений",
    "replaced": "заменён",
    "active": "действует",
}
PROCEDURE_IN_TEXT = re.compile(r"\((vpr|oge|ege|gia|rdr) (\d{4})\)")
PY_TEXT = re.compile(r"^[\[{]['\"\d\[{\]}]")
FILE_NAME = re.compile(r"\.[A-Za-z]{2,4}$")
AUTO_RELATION = re.compile(r"^Связь [a-z_-]+$|^[A-Za-z]+-[a-z_]+ relationship$")


@dataclass(frozen=True)
class EntryView:
    """One journal row as shown: the action, the object and what changed, in Russian."""

    entry: AuditEntry
    object_repr: str
    action: str
    object_kind: str
    changes: list[str]
    hidden: int


@cache
def _models_by_name() -> dict[str, type[Model]]:
    out: dict[str, type[Model]] = {}
    for model in apps.get_models():
        out[model._meta.label_lower] = model
        out.setdefault(str(model._meta.verbose_name), model)
    return out


def _model(object_type: str) -> type[Model] | None:
    return _models_by_name().get(object_type.lower()) or _models_by_name().get(object_type)


def _field(model: type[Model] | None, key: str) -> Any:
    if model is None:
        return None
    for field in model._meta.get_fields():
        if key in (field.name, getattr(field, "attname", None)):
            return field
    return None


def _field_label(field: Any, key: str) -> str | None:
    label = str(getattr(field, "verbose_name", "") or "")
    if CYRILLIC.search(label):
        return label
    if key in KEYS:
        return KEYS[key]
    return key if CYRILLIC.search(key) else None


def _choice(field: Any, value: Any) -> Any:
    choices = dict(getattr(field, "flatchoices", None) or ())
    if not choices or isinstance(value, list | dict):
        return value
    return choices.get(value, value)


def value_text(value: Any) -> str:
    """A stored value as a person reads it: да/нет, —, a list joined, a checksum not spelled out."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, list | tuple):
        shown = ", ".join(value_text(v) for v in value[:MAX_ITEMS])
        return shown + (f" и ещё {len(value) - MAX_ITEMS}" if len(value) > MAX_ITEMS else "")
    if isinstance(value, dict):
        if set(value) >= {"old", "new"}:
            return f"{value_text(value['old'])} → {value_text(value['new'])}"
        named = [(KEYS.get(k, k), v) for k, v in value.items() if k in KEYS or CYRILLIC.search(str(k))]
        return "; ".join(f"{k}: {value_text(v)}" for k, v in named[:MAX_ITEMS]) or "служебные сведения"
    text = str(value)
    if PY_TEXT.match(text):  # a list or dict saved as its Python text
        try:
            return value_text(ast.literal_eval(text))
        except (ValueError, SyntaxError):  # cut at 200 characters when it was saved
            return f"{text.count(',') + 1} и более"
    if text in CODES:
        return CODES[text]
    if AUTO_RELATION.match(text):
        return "связь"
    if DIGEST.match(text):
        return "контрольная сумма"
    if text in M2M_ACTIONS:
        return M2M_ACTIONS[text]
    if CODE_VALUE.match(text) and not FILE_NAME.search(text):
        return "служебный код"
    return text if len(text) <= 120 else text[:117] + "…"


def object_kind(object_type: str) -> str:
    """The object's kind in Russian (a model label such as ``diagnostics.teacher`` → «педагог»)."""
    model = _model(object_type) if object_type else None
    if model is not None:
        return str(model._meta.verbose_name)
    return object_type


def entry_view(entry: AuditEntry) -> EntryView:
    """What the journal page shows for ``entry``."""
    model = _model(entry.object_type) if entry.object_type else None
    lines, hidden = [], 0
    for key, value in (entry.changes or {}).items():
        field = _field(model, str(key))
        label = _field_label(field, str(key))
        if label is None:
            hidden += 1
            continue
        lines.append(f"{label}: {value_text(_choice(field, value))}")
    return EntryView(
        entry=entry,
        object_repr=PROCEDURE_IN_TEXT.sub(
            lambda m: f"({labels.PROCEDURE_LABELS[m.group(1)]} {m.group(2)})",
            HEX_RUN.sub("…", entry.object_repr),
        ),
        action=ACTIONS.get(entry.action, entry.action),
        object_kind=object_kind(entry.object_type),
        changes=lines,
        hidden=hidden,
    )
