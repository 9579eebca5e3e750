"""Writes of the needs register and targeted support, each checked against the user's rights and audited.

Rights: needs are entered by the school for itself, by its municipality and by the region (``can_enter``
of the scope); support decisions and their execution only by the region; young specialists by the region
or the school's municipality. Observers, curators and teachers only read.

Every change of a school's staff needs re-derives ``SchoolContext.staff_shortage`` of that year
(``staff_shortage_sync``): true when a key specialist (``KEY_SPECIALISTS``) has a vacant rate.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shnor.web.accounts.audit import audit_record
from shnor.web.accounts.roles import Role
from shnor.web.accounts.scope import User, scope_of
from shnor.web.registry.models import School, SchoolContext
from shnor.web.resources.models import (
    KEY_SPECIALISTS,
    DecisionExecution,
    DecisionStatus,
    EquipmentNeed,
    Source,
    Specialist,
    StaffNeed,
    SupportDecision,
    YoungSpecialist,
)
from shnor.web.uploads import MB, upload_check


def can_enter_needs(user: User, school: School) -> bool:
    """The school itself, its municipality, the region (within scope); never observers or teachers."""
    scope = scope_of(user)
    return scope.sees_rows and scope.sees(school) and scope.can_enter(level="school", unit=school)


def can_decide(user: User, school: School | None = None) -> bool:
    """Only the region (an analyst of a region, or a superuser) records support decisions."""
    scope = scope_of(user)
    region = scope.superuser or (scope.acts_as(Role.REGION) and scope.region_id is not None)
    return scope.sees_rows and region and (school is None or scope.sees(school))


def can_place(user: User, school: School) -> bool:
    """The region or the school's municipality records young specialists placed."""
    scope = scope_of(user)
    role_ok = scope.superuser or scope.acts_as(Role.REGION, Role.MUNICIPALITY)
    return scope.sees_rows and role_ok and scope.sees(school)


def _check_year(year: int) -> int:
    year = int(year)
    if not 2000 <= year <= 2100:
        raise ValidationError(f"год {year}: ожидается год от 2000 до 2100")
    return year


def _money(value: Any, what: str) -> Decimal:
    try:
        d = Decimal(str(value).replace(" ", "").replace("\xa0", "").replace(",", "."))
    except Exception:
        raise ValidationError(f"{what}: «{value}» — не число") from None
    if d < 0 or not d.is_finite():
        raise ValidationError(f"{what}: ожидается неотрицательное число, указано {value}")
    if d >= Decimal("1e12"):
        raise ValidationError(f"{what}: {value} — слишком большая сумма (не больше 999 999 999 999,99)")
    return d.quantize(Decimal("0.01"))


def _rates(value: Any, what: str) -> Decimal:
    d = _money(value, what)
    if d > 1000:
        raise ValidationError(f"{what}: {value} — больше 1000 ставок, проверьте число")
    return d


def staff_need_values(
    *, specialist: str, subject: str = "", other: str = "", rates_needed: Any, rates_vacant: Any
) -> dict[str, Any]:
    """The checked fields of a staff need (a ValidationError in Russian says what is wrong)."""
    if specialist not in Specialist.values:
        raise ValidationError(f"неизвестный специалист «{specialist}»")
    subject, other = (subject or "").strip(), (other or "").strip()
    if specialist == Specialist.SUBJECT_TEACHER and not subject:
        raise ValidationError("для учителя-предметника укажите предмет")
    if specialist == Specialist.OTHER and not other:
        raise ValidationError("для другого специалиста укажите, кто нужен (например, «инструктор по ФК»)")
    needed = _rates(rates_needed, "ставок требуется")
    vacant = _rates(rates_vacant, "ставок вакантно")
    if vacant > needed:
        raise ValidationError(f"вакантных ставок ({vacant}) больше, чем требуется ({needed})")
    return {
        "specialist": specialist,
        "subject": subject[:100] if specialist == Specialist.SUBJECT_TEACHER else "",
        "other": other[:200] if specialist == Specialist.OTHER else "",
        "rates_needed": needed,
        "rates_vacant": vacant,
    }


def staff_need_save(
    *, actor: User, school: School, year: int, note: str = "", sync: bool = True, **fields: Any
) -> StaffNeed:
    """Record (or update) the school's need of one specialist in ``year``; re-derives the staff shortage."""
    if not can_enter_needs(actor, school):
        raise PermissionDenied("потребности школы вносит сама школа, её муниципалитет или регион")
    year = _check_year(year)
    values = staff_need_values(**fields)
    key = {k: values.pop(k) for k in ("specialist", "subject", "other")}
    need, created = StaffNeed.objects.update_or_create(
        school=school, year=year, **key, defaults={**values, "note": note[:500], "recorded_by": actor}
    )
    audit_record(
        action="потребность в кадрах внесена" if created else "потребность в кадрах изменена",
        object_type="потребность в кадрах",
        object_id=str(need.pk),
        object_repr=f"{school.school_id}, {year}: {need.title}",
        changes={"ставок требуется": str(need.rates_needed), "ставок вакантно": str(need.rates_vacant)},
        user=actor,
    )
    if sync:
        staff_shortage_sync(actor=actor, school=school, year=year)
    return need


def equipment_need_save(
    *, actor: User, school: School, year: int, item: str, quantity: Any, cost: Any, purpose: str = ""
) -> EquipmentNeed:
    """Record (or update, by item) the school's need of equipment in ``year``."""
    if not can_enter_needs(actor, school):
        raise PermissionDenied("потребности школы вносит сама школа, её муниципалитет или регион")
    year = _check_year(year)
    item = (item or "").strip()
    if not item:
        raise ValidationError("укажите, какое оборудование нужно")
    try:
        qty = int(str(quantity).strip())
    except ValueError:
        raise ValidationError(f"количество: «{quantity}» — не целое число") from None
    if not 1 <= qty <= 1_000_000:
        raise ValidationError(f"количество: {qty} — ожидается целое число от 1 до 1 000 000")
    need, created = EquipmentNeed.objects.update_or_create(
        school=school,
        year=year,
        item=item[:255],
        defaults={
            "quantity": qty,
            "cost": _money(cost, "оценочная стоимость"),
            "purpose": (purpose or "").strip()[:500],
            "recorded_by": actor,
        },
    )
    audit_record(
        action="потребность в оборудовании внесена" if created else "потребность в оборудовании изменена",
        object_type="потребность в оборудовании",
        object_id=str(need.pk),
        object_repr=f"{school.school_id}, {year}: {need.item} × {need.quantity}",
        changes={"стоимость": str(need.cost)},
        user=actor,
    )
    return need


def need_delete(*, actor: User, need: StaffNeed | EquipmentNeed) -> None:
    """Remove a need (a staff need re-derives the staff shortage of its year)."""
    if not can_enter_needs(actor, need.school):
        raise PermissionDenied("удалять потребности может сама школа, её муниципалитет или регион")
    kind = "потребность в кадрах" if isinstance(need, StaffNeed) else "потребность в оборудовании"
    what = need.title if isinstance(need, StaffNeed) else need.item
    school, year, pk = need.school, need.year, need.pk
    need.delete()
    audit_record(
        action=f"{kind} удалена",
        object_type=kind,
        object_id=str(pk),
        object_repr=f"{school.school_id}, {year}: {what}",
        user=actor,
    )
    if kind == "потребность в кадрах":
        staff_shortage_sync(actor=actor, school=school, year=year)


def key_vacancy(*, school: School, year: int) -> bool:
    """True when the school has a vacant rate of a key specialist in ``year``."""
    return StaffNeed.objects.filter(
        school=school, year=year, specialist__in=list(KEY_SPECIALISTS), rates_vacant__gt=0
    ).exists()


def staff_shortage_sync(*, actor: User | None, school: School, year: int) -> bool:
    """Set ``SchoolContext.staff_shortage`` of the school and year from the register (the row created
    when missing); audited when the value changes. The social index reads it at its next run."""
    value = key_vacancy(school=school, year=year)
    ctx, created = SchoolContext.objects.get_or_create(school=school, year=year)
    if created or ctx.staff_shortage is not value:
        before = ctx.staff_shortage
        ctx.staff_shortage = value
        ctx.save(update_fields=["staff_shortage"])
        audit_record(
            action="кадровый дефицит обновлён по реестру потребностей",
            object_type="контекст школы",
            object_id=str(ctx.pk),
            object_repr=f"{school.school_id}, {year}",
            changes={"кадровый дефицит": {"было": before, "стало": value}},
            user=actor,
        )
    return value


def decision_create(
    *,
    actor: User,
    school: School,
    purpose: str,
    amount: Any,
    source: str,
    decided_on: date,
    document: str = "",
    status: str = DecisionStatus.ADOPTED,
    year: int | None = None,
) -> SupportDecision:
    """The region records a decision of targeted support of a school."""
    if not can_decide(actor, school):
        raise PermissionDenied("решения об адресной поддержке принимает регион")
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError("укажите назначение поддержки (на что выделяются средства)")
    if source not in Source.values:
        raise ValidationError(f"неизвестный источник средств «{source}»")
    if status not in DecisionStatus.values:
        raise ValidationError(f"неизвестный статус решения «{status}»")
    d = SupportDecision.objects.create(
        school=school,
        year=_check_year(year if year is not None else decided_on.year),
        purpose=purpose[:500],
        amount=_money(amount, "сумма"),
        source=source,
        decided_on=decided_on,
        document=(document or "").strip()[:100],
        status=status,
        created_by=actor,
    )
    audit_record(
        action="решение об адресной поддержке записано",
        object_type="решение об адресной поддержке",
        object_id=str(d.pk),
        object_repr=f"{school.school_id}: {d.purpose}, {d.amount} ₽, {d.get_status_display()}",
        user=actor,
    )
    return d


def decision_status_set(*, actor: User, decision: SupportDecision, status: str) -> SupportDecision:
    """Change a decision's status (the region)."""
    if not can_decide(actor, decision.school):
        raise PermissionDenied("статус решения меняет регион")
    if status not in DecisionStatus.values:
        raise ValidationError(f"неизвестный статус решения «{status}»")
    before = decision.get_status_display()
    decision.status = status
    decision.save(update_fields=["status"])
    audit_record(
        action="статус решения об адресной поддержке изменён",
        object_type="решение об адресной поддержке",
        object_id=str(decision.pk),
        object_repr=str(decision),
        changes={"статус": {"было": before, "стало": decision.get_status_display()}},
        user=actor,
    )
    return decision


def execution_add(
    *, actor: User, decision: SupportDecision, on: date, spent: Any, note: str = "", file: Any = None
) -> DecisionExecution:
    """Record an execution of a decision (the region); a first execution moves «принято» to
    «исполняется»; a cancelled decision takes no execution."""
    if not can_decide(actor, decision.school):
        raise PermissionDenied("исполнение решений отмечает регион")
    if decision.status == DecisionStatus.CANCELLED:
        raise ValidationError("решение отменено: исполнение по нему не записывается")
    with transaction.atomic():
        ex = DecisionExecution(
            decision=decision, date=on, spent=_money(spent, "израсходовано"), note=(note or "")[:500]
        )
        ex.recorded_by = actor
        if file:
            name, _ = upload_check(file, max_bytes=20 * MB)  # an execution's document, as roadmap evidence
            ex.file.save(name, file, save=False)
        ex.save()
        if decision.status in (DecisionStatus.PLANNED, DecisionStatus.ADOPTED):
            decision.status = DecisionStatus.EXECUTING
            decision.save(update_fields=["status"])
        audit_record(
            action="исполнение решения об адресной поддержке",
            object_type="решение об адресной поддержке",
            object_id=str(decision.pk),
            object_repr=f"{decision.school.school_id}: {ex.spent} ₽ на {on:%d.%m.%Y}",
            user=actor,
        )
    return ex


def young_specialist_add(
    *,
    actor: User,
    school: School,
    specialist: str,
    placed_on: date,
    subject: str = "",
    programme: str = "",
) -> YoungSpecialist:
    """Record a young specialist placed in a school (the region or its municipality)."""
    if not can_place(actor, school):
        raise PermissionDenied("молодых специалистов отмечает регион или муниципалитет школы")
    if specialist not in Specialist.values:
        raise ValidationError(f"неизвестный специалист «{specialist}»")
    y = YoungSpecialist.objects.create(
        school=school,
        year=_check_year(placed_on.year),
        specialist=specialist,
        subject=(subject or "").strip()[:100],
        placed_on=placed_on,
        programme=(programme or "").strip()[:200],
        recorded_by=actor,
    )
    audit_record(
        action="молодой специалист отмечен",
        object_type="молодой специалист",
        object_id=str(y.pk),
        object_repr=f"{school.school_id}: {y.get_specialist_display()}, {placed_on:%d.%m.%Y}",
        user=actor,
    )
    return y
