"""Import of needs from a CSV or XLSX file, one need a row:

``year, school_id, kind (staff|equipment), specialist|item, subject, quantity, cost, note``
(or «Год», «Логин ОО», «Вид», «Специалист / оборудование», «Предмет», «Количество», «Стоимость»,
«Примечание»). For ``staff`` the quantity is the vacant rates (ставки); an optional ``needed`` column
(«Ставок требуется») gives the rates needed, else it equals the vacant ones. The specialist is written as
on the page («педагог-психолог») or as its code (``psychologist``); another specialist as «другое: кто».

Atomic: every row is checked first; any wrong cell rejects the whole file with its file, sheet, row and
column. A need already recorded (the same specialist and subject, or the same item) is updated, so the
same file twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shnor.core.ingest.common import find_column
from shnor.core.ingest.errors import IngestError, RowError
from shnor.core.ingest.tables import Sheet, norm, read_tables
from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.scope import User, scope_of
from shnor.web.outcome import ImportOutcome, error_report_write
from shnor.web.registry.models import School
from shnor.web.resources import services
from shnor.web.resources.models import Specialist

COLUMNS: dict[str, tuple[str, ...]] = {
    "year": ("year", "Год"),
    "school_id": ("school_id", "Логин ОО", "Логин", "Код ОО"),
    "kind": ("kind", "Вид", "Вид потребности"),
    "what": (
        "specialist|item",
        "specialist",
        "item",
        "Специалист / оборудование",
        "Специалист",
        "Оборудование",
    ),
    "subject": ("subject", "Предмет"),
    "quantity": ("quantity", "Количество", "Ставок вакантно"),
    "needed": ("needed", "Ставок требуется"),
    "cost": ("cost", "Стоимость", "Оценочная стоимость"),
    "note": ("note", "Примечание", "Назначение"),
}
REQUIRED = ("year", "school_id", "kind", "what", "quantity")
KINDS = {"staff": "staff", "кадры": "staff", "equipment": "equipment", "оборудование": "equipment"}
SPECIALISTS = {norm(label): code for code, label in Specialist.choices} | {c: c for c in Specialist.values}


def specialist_parse(text: str) -> tuple[str, str]:
    """``(code, other)`` of a specialist written in a file; ValidationError when unknown."""
    t = norm(text)
    for prefix in ("другое:", "другой специалист:", "other:"):
        if t.startswith(prefix):
            other = str(text).split(":", 1)[1].strip()
            return Specialist.OTHER, other
    if t in SPECIALISTS and SPECIALISTS[t] != Specialist.OTHER:
        return SPECIALISTS[t], ""
    allowed = ", ".join(f"«{label}»" for code, label in Specialist.choices if code != Specialist.OTHER)
    raise ValidationError(f"специалист «{text}» не распознан; ожидается один из: {allowed} или «другое: кто»")


def _sheet(path: Path) -> tuple[Sheet, dict[str, str]]:
    for sheet in read_tables(path):
        cols = {k: find_column(sheet, *names) for k, names in COLUMNS.items()}
        if cols["school_id"] is not None:
            missing = [COLUMNS[k][0] for k in REQUIRED if cols[k] is None]
            if missing:
                raise IngestError(f"{path.name}: нет обязательных столбцов: {', '.join(missing)}")
            return sheet, {k: v for k, v in cols.items() if v is not None}
    raise IngestError(f"{path.name}: не найден лист со столбцом school_id («Логин ОО»)")


def _row(r: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    """The service's keyword arguments of one row; ValidationError names what is wrong."""
    if kind == "staff":
        code, other = specialist_parse(r.get("what") or "")
        qty = r.get("quantity")
        fields = services.staff_need_values(
            specialist=code,
            subject=r.get("subject") or "",
            other=other,
            rates_needed=r.get("needed") or qty,
            rates_vacant=qty,
        )
        return "what", {**fields, "note": r.get("note") or ""}
    return "what", {
        "item": r.get("what"),
        "quantity": r.get("quantity"),
        "cost": r.get("cost") or 0,
        "purpose": r.get("note") or "",
    }


def _parse_rows(sheet: Sheet, cols: dict[str, str], actor: User) -> tuple[list, list[RowError]]:
    """Every row checked: ``(kind, school, year, kwargs)`` or its errors."""
    head = {k: sheet.header[int(c[1:])] for k, c in cols.items()}
    data = sheet.data.select(list(cols.values())).rename({c: k for k, c in cols.items()})
    ids = {str(x).strip() for x in data["school_id"].to_list() if x}
    visible = {s.school_id: s for s in School.objects.visible_to(actor).filter(school_id__in=ids)}
    rows, errors = [], []

    def err(i: int, key: str, msg: str, value: Any = "") -> None:
        errors.append(RowError(sheet.file, sheet.name, i + 2, head.get(key, key), msg, str(value or "")))

    for i, r in enumerate(data.iter_rows(named=True)):
        if not any(v for v in r.values()):
            continue
        sid = (r.get("school_id") or "").strip()
        school = visible.get(sid)
        if school is None:
            err(i, "school_id", f"школа «{sid}» не найдена среди школ, доступных вам", sid)
            continue
        if not services.can_enter_needs(actor, school):
            err(i, "school_id", f"вносить потребности школы «{sid}» вам не разрешено", sid)
            continue
        try:
            year = services._check_year(int(str(r.get("year") or "").strip().removesuffix(".0")))
        except (ValueError, ValidationError):
            err(i, "year", "год не распознан (ожидается, например, 2025)", r.get("year"))
            continue
        kind = KINDS.get(norm(r.get("kind")))
        if kind is None:
            err(
                i,
                "kind",
                "вид потребности: ожидается staff (кадры) или equipment (оборудование)",
                r.get("kind"),
            )
            continue
        column = "what" if kind == "staff" else "quantity" if r.get("what") else "what"
        try:
            _, kwargs = _row(r, kind)
            if kind == "equipment":
                _check_equipment(kwargs)
        except ValidationError as exc:
            err(i, _column_of(exc.messages[0], column), "; ".join(exc.messages), r.get(column))
            continue
        rows.append((kind, school, year, kwargs))
    return rows, errors


def _column_of(message: str, default: str) -> str:
    """The file column a service message is about (by how the message starts)."""
    starts = {
        "специалист": "what",
        "для другого": "what",
        "для учителя": "subject",
        "ставок": "quantity",
        "вакантных": "quantity",
        "количество": "quantity",
        "стоимость": "cost",
        "оборудование": "what",
    }
    return next((col for head, col in starts.items() if message.startswith(head)), default)


def _check_equipment(kw: dict[str, Any]) -> None:
    if not (kw.get("item") or "").strip():
        raise ValidationError("оборудование: не указано, что нужно")
    try:
        qty = int(str(kw["quantity"]).strip().removesuffix(".0"))
    except ValueError:
        raise ValidationError(f"количество: «{kw['quantity']}» — не целое число") from None
    if qty < 1:
        raise ValidationError(f"количество: {qty} — ожидается не меньше 1")
    kw["quantity"] = qty
    services._money(kw["cost"], "стоимость")


def needs_import(*, path: Path | str, actor: User, name: str = "") -> ImportOutcome:
    """Import a needs file (atomic; the same file twice changes nothing); staff shortage re-derived for
    every school and year of the file."""
    scope = scope_of(actor)
    if not scope.sees_rows or scope.acts_as("observer", "teacher", "curator"):
        raise PermissionDenied("загружать потребности может школа, муниципалитет или регион")
    path = Path(path)
    name = name or path.name
    try:
        sheet, cols = _sheet(path)
    except IngestError as exc:
        return ImportOutcome(name, "rejected", str(exc))
    rows, errors = _parse_rows(sheet, cols, actor)
    if errors:
        summary = f"{name}: файл не загружен — ошибок в строках: {len(errors)}"
        report = error_report_write(name, errors, summary, [])
        return ImportOutcome(name, "rejected", summary, errors=errors, report=report)
    if not rows:
        return ImportOutcome(name, "rejected", f"{name}: в файле нет ни одной потребности")
    touched: set[tuple[int, int]] = set()
    with transaction.atomic():
        for kind, school, year, kw in rows:
            if kind == "staff":
                services.staff_need_save(actor=actor, school=school, year=year, sync=False, **kw)
                touched.add((school.pk, year))
            else:
                services.equipment_need_save(actor=actor, school=school, year=year, **kw)
        schools = {s.pk: s for _, s, _, _ in rows}
        for pk, year in sorted(touched):
            services.staff_shortage_sync(actor=actor, school=schools[pk], year=year)
        audit_record(
            action="загрузка потребностей школ",
            object_type="файл потребностей",
            object_repr=name,
            changes={"строк": len(rows)},
            user=actor,
        )
    staff = sum(1 for r in rows if r[0] == "staff")
    return ImportOutcome(
        name,
        "stored",
        f"{name}: загружено потребностей — в кадрах: {staff}, в оборудовании: {len(rows) - staff}",
    )
