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


class DataNoticeOut(Schema):
    """The imported data changed around a run: ``after`` — since the run, ``before`` — since the previous
    run of its year (the run was made on changed data)."""

    kind: str
    title: str
    changes: list[str]
    previous_run: int | None


class RunOut(Schema):
    """A finished methodology run, the import batches it read and what changed in the data around it."""

    id: int
    year: int
    label: str
    config_digest: str
    started_at: str
    finished_at: str | None
    batches: list[str]
    data_notices: list[DataNoticeOut]


class FactOut(Schema):
    """One fact of the evidence in words: «Статистика», «Группа сравнения», «Порог» …"""

    label: str
    value: str


class ChartOut(Schema):
    """A chart of the evidence: a Plotly figure or a table (``head``, ``rows``)."""

    title: str
    figure: dict[str, Any] | None = None
    table: dict[str, Any] | None = None


class SignOut(Schema):
    """One tested sign (or FIOKO marker) with its facts and charts."""

    id: str
    title: str
    significant: bool
    #: «выделяется» / «не выделяется» (objectivity signs; the same rule as ``significant``)
    badge: str = ""
    #: the sign in plain Russian: what was expected, what was seen, how unusual
    sentences: list[str] = []
    facts: list[FactOut]
    charts: list[ChartOut]


class PresentationOut(Schema):
    """What the school card shows of an outcome: the label, facts, sign blocks and charts in words."""

    label: str
    facts: list[FactOut]
    signs: list[SignOut]
    charts: list[ChartOut]


class OutcomeOut(Schema):
    """One method's conclusion about one school, with the evidence row and its presentation."""

    run_id: int
    year: int
    method: str
    flagged: bool
    value: float | None
    label: str
    data: dict[str, Any]
    presentation: PresentationOut


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
    source: str
    reason: str


class ListStateOut(Schema):
    """What a list is for a year: the approved version (order, signatory) or, without one, the run shown."""

    kind: str
    year: int
    approved: bool
    version: int | None
    order_number: str
    order_date: str | None
    signatory: str
    run: int | None
    caption: str
    schools: int


class ErrorOut(Schema):
    """An error message."""

    detail: str
