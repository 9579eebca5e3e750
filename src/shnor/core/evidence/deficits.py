"""Typed evidence of the skill deficits: each deficit of the school and its classes against the comparison
group, with the interval of the school's success."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shnor.core.evidence._read import as_dict, dicts, integer, num, opt_text, text

VERSION = 1


@dataclass(frozen=True, slots=True)
class Deficit:
    """One skill (or task) where the school or a class is significantly below its comparison group."""

    unit: str = ""
    element: str = ""
    element_label: str = ""
    procedure: str = ""
    subject: str | None = None
    grade: int | None = None
    class_name: str | None = None
    success: int | float | None = None
    lower: int | float | None = None
    upper: int | float | None = None
    comparison_success: int | float | None = None
    comparison_kind: str = ""
    gap: int | float | None = None
    topic: str = ""
    n_pupils: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> Deficit:
        """A deficit from its stored JSON object."""
        d = as_dict(raw)
        return cls(
            unit=text(d.get("unit")),
            element=text(d.get("element")),
            element_label=text(d.get("element_label")),
            procedure=text(d.get("procedure")),
            subject=opt_text(d.get("subject")),
            grade=integer(d.get("grade")),
            class_name=opt_text(d.get("class_name")),
            success=num(d.get("success")),
            lower=num(d.get("lower")),
            upper=num(d.get("upper")),
            comparison_success=num(d.get("comparison_success")),
            comparison_kind=text(d.get("comparison_kind")),
            gap=num(d.get("gap")),
            topic=text(d.get("topic")),
            n_pupils=integer(d.get("n_pupils")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class DeficitsEvidence:
    """A school's deficits (school level and per class) and how many there are."""

    version: int = VERSION
    deficits: tuple[Deficit, ...] = ()
    school_deficits: int | None = None
    class_deficits: int | None = None

    @classmethod
    def parse(cls, data: Any) -> DeficitsEvidence:
        """From an outcome's ``data``; missing keys give defaults."""
        row = as_dict(data)
        return cls(
            deficits=tuple(Deficit.parse(r) for r in dicts(row.get("deficits"))),
            school_deficits=integer(row.get("school_deficits")),
            class_deficits=integer(row.get("class_deficits")),
        )

    @property
    def school_level(self) -> tuple[Deficit, ...]:
        """The deficits of the school as a whole (not of one class)."""
        return tuple(d for d in self.deficits if d.unit == "school")

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the result row)."""
        out: dict[str, Any] = {"deficits": [d.to_dict() for d in self.deficits]}
        if self.school_deficits is not None:
            out["school_deficits"] = self.school_deficits
        if self.class_deficits is not None:
            out["class_deficits"] = self.class_deficits
        return out
