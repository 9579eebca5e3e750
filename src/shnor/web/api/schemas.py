"""API payloads."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class MeOut(Schema):
    """The calling user."""

    username: str
    role: str
    schools_visible: int


class RegionOut(Schema):
    """A region."""

    id: int
    code: str
    name: str


class MunicipalityOut(Schema):
    """A municipality."""

    id: int
    code: str
    name: str
    region_id: int | None


class SchoolOut(Schema):
    """A school of the registry."""

    school_id: str
    name: str
    municipality: str | None
    municipality_id: int | None
    region: str | None
    kind: str
    locality: str
    pupils: int | None
    latitude: float | None
    longitude: float | None
    in_registry: bool


class RunOut(Schema):
    """A finished methodology run."""

    id: int
    year: int
    label: str
    config_digest: str
    started_at: str
    finished_at: str | None


class OutcomeOut(Schema):
    """One method's conclusion about one school, with the evidence row."""

    run_id: int
    year: int
    method: str
    flagged: bool
    value: float | None
    label: str
    data: dict[str, Any]


class ListRowOut(Schema):
    """A school in a list."""

    school_id: str
    name: str
    municipality: str
    value: float | None
    years_in_list: int | None
    track: str
    track_label: str
    details: str


class ErrorOut(Schema):
    """An error message."""

    detail: str
