"""Risk-profile questionnaires (director, teachers, pupils, parents): template, scoring, form imports.

The questionnaire is data (``data/risk_questionnaire.toml``; the ten risk factors of DOMAIN.md §3.5,
not verified against an official text). ``profile_compute`` turns answers into a score per factor
(0..100, higher = more risk) and proposes the chosen risks; ``responses_read`` reads a spreadsheet
export of a web form (CSV or XLSX: one row per respondent, one column per statement) and returns
the answers and the row-level errors in Russian (row and column). Pure functions, no Django.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

DATA_PACKAGE = "shnor.core.roadmaps.data"
DEFAULT_FILE = "risk_questionnaire.toml"


@dataclass(frozen=True)
class Question:
    """One statement of a questionnaire."""

    code: str
    group: str
    factor: str
    text: str
    risk_when_agree: bool = False


@dataclass(frozen=True)
class Factor:
    """A risk factor with its suggested anti-risk measures."""

    code: str
    title: str
    measures: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Questionnaire:
    """The whole questionnaire template."""

    key: str
    title: str
    version: str
    verified: bool
    threshold: float
    max_chosen: int
    values: tuple[int, ...]
    labels: tuple[str, ...]
    aliases: dict[str, int]
    groups: dict[str, dict[str, Any]]
    factors: tuple[Factor, ...]
    questions: tuple[Question, ...]

    def factor(self, code: str) -> Factor:
        """The factor ``code`` (KeyError when unknown)."""
        for f in self.factors:
            if f.code == code:
                return f
        raise KeyError(code)

    def group_questions(self, group: str) -> list[Question]:
        """The statements of one respondent group, in order."""
        return [q for q in self.questions if q.group == group]

    def value_of(self, raw: Any) -> int | None:
        """An answer cell as 1..4 (None for empty); ValueError for anything else."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            raise ValueError(raw)
        if isinstance(raw, int | float):
            if float(raw).is_integer() and int(raw) in self.values:
                return int(raw)
            raise ValueError(raw)
        text = " ".join(str(raw).split()).strip().lower().rstrip(".")
        if not text:
            return None
        if text.isdigit() and int(text) in self.values:
            return int(text)
        m = re.match(r"^(\d)\s*[-—–.)]", text)
        if m and int(m.group(1)) in self.values:
            return int(m.group(1))
        for value, label in zip(self.values, self.labels, strict=True):
            if text == label.lower():
                return value
        if text in self.aliases:
            return self.aliases[text]
        raise ValueError(raw)


class QuestionnaireError(ValueError):
    """A questionnaire template that cannot be used (message in Russian)."""


def questionnaire_parse(text: str, *, name: str = DEFAULT_FILE) -> Questionnaire:
    """Parse a questionnaire template (TOML) and check its references."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"{name}: не читается как TOML: {exc}") from exc
    return questionnaire_from_mapping(raw, name=name)


def questionnaire_data_default() -> dict[str, Any]:
    """The shipped questionnaire as a mapping (what a region's edited copy starts from)."""
    return tomllib.loads(resources.files(DATA_PACKAGE).joinpath(DEFAULT_FILE).read_text(encoding="utf-8"))


def questionnaire_from_mapping(raw: Mapping[str, Any], *, name: str = DEFAULT_FILE) -> Questionnaire:
    """A questionnaire from its mapping (the TOML's keys): the shipped file or a region's edited copy."""
    try:
        return _questionnaire_build(raw, name=name)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, QuestionnaireError):
            raise
        raise QuestionnaireError(f"{name}: неполное или неверное описание анкеты ({exc})") from exc


def _questionnaire_build(raw: Mapping[str, Any], *, name: str) -> Questionnaire:
    scale = dict(raw.get("scale", {}))
    values = tuple(int(v) for v in scale.get("values", [1, 2, 3, 4]))
    labels = tuple(str(v) for v in scale.get("labels", []))
    if len(labels) != len(values):
        raise QuestionnaireError(f"{name}: число подписей шкалы не совпадает с числом значений")
    groups = {str(k): dict(v) for k, v in dict(raw.get("groups", {})).items()}
    factors = tuple(
        Factor(
            code=str(f["code"]), title=str(f["title"]), measures=tuple(dict(m) for m in f.get("measures", []))
        )
        for f in raw.get("factors", [])
    )
    codes = {f.code for f in factors}
    questions = []
    seen: set[str] = set()
    for q in raw.get("questions", []):
        qq = Question(
            code=str(q["code"]),
            group=str(q["group"]),
            factor=str(q["factor"]),
            text=str(q["text"]),
            risk_when_agree=bool(q.get("risk_when_agree", False)),
        )
        if qq.code in seen:
            raise QuestionnaireError(f"{name}: повторяется код вопроса {qq.code}")
        if qq.group not in groups:
            raise QuestionnaireError(f"{name}: вопрос {qq.code}: неизвестная группа «{qq.group}»")
        if qq.factor not in codes:
            raise QuestionnaireError(f"{name}: вопрос {qq.code}: неизвестный фактор риска «{qq.factor}»")
        seen.add(qq.code)
        questions.append(qq)
    return Questionnaire(
        key=str(raw.get("key", "")),
        title=str(raw.get("title", "")),
        version=str(raw.get("version", "")),
        verified=bool(raw.get("verified", False)),
        threshold=float(raw.get("threshold", 50.0)),
        max_chosen=int(raw.get("max_chosen", 3)),
        values=values,
        labels=labels,
        aliases={str(k).lower(): int(v) for k, v in dict(scale.get("aliases", {})).items()},
        groups=groups,
        factors=factors,
        questions=tuple(questions),
    )


@lru_cache(maxsize=1)
def questionnaire_default() -> Questionnaire:
    """The shipped questionnaire."""
    return questionnaire_parse(
        resources.files(DATA_PACKAGE).joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    )


def questionnaire_from_path(path: Path) -> Questionnaire:
    """A region's own questionnaire file."""
    return questionnaire_parse(Path(path).read_text(encoding="utf-8"), name=Path(path).name)


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def risk_points(q: Question, value: int, top: int = 4) -> int:
    """Risk points 0..top-1 of one answer."""
    return (top - value) if q.risk_when_agree else (value - 1)


def profile_compute(
    questionnaire: Questionnaire, responses: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """Score per factor from ``(group, {question_code: value})`` responses; propose the chosen risks.

    Returns ``{"factors": {code: {"title", "score", "n_answers", "by_group": {group: score}}},
    "chosen": [codes], "threshold", "respondents": {group: n}}``. A factor without answers has
    score None and is never chosen.
    """
    by_code = {q.code: q for q in questionnaire.questions}
    top = max(questionnaire.values)
    span = top - 1
    sums: dict[tuple[str, str], list[int]] = {}
    respondents: dict[str, int] = {}
    for group, answers in responses:
        respondents[group] = respondents.get(group, 0) + 1
        for code, value in answers.items():
            q = by_code.get(code)
            if q is None or value in (None, "") or q.group != group:
                continue
            sums.setdefault((q.factor, group), []).append(risk_points(q, int(value), top))
    factors: dict[str, Any] = {}
    for f in questionnaire.factors:
        by_group: dict[str, float] = {}
        n = 0
        for g in questionnaire.groups:
            pts = sums.get((f.code, g))
            if pts:
                by_group[g] = round(100.0 * sum(pts) / len(pts) / span, 1)
                n += len(pts)
        weights = {g: float(questionnaire.groups[g].get("weight", 1.0)) for g in by_group}
        total = sum(weights.values())
        score = round(sum(by_group[g] * weights[g] for g in by_group) / total, 1) if total else None
        factors[f.code] = {"title": f.title, "score": score, "n_answers": n, "by_group": by_group}
    ranked = sorted(
        (c for c, v in factors.items() if v["score"] is not None and v["score"] >= questionnaire.threshold),
        key=lambda c: (-factors[c]["score"], c),
    )
    return {
        "factors": factors,
        "chosen": ranked[: questionnaire.max_chosen],
        "threshold": questionnaire.threshold,
        "max_chosen": questionnaire.max_chosen,
        "respondents": respondents,
        "questionnaire": {
            "key": questionnaire.key,
            "version": questionnaire.version,
            "verified": questionnaire.verified,
        },
    }


# ---------------------------------------------------------------------------------------------
# Imports of web-form exports
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem of an import: where (row, column) and what (Russian)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"строка {self.row}" if self.row else "файл"
        if self.column:
            where += f", столбец {self.column}"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    """Answers read from a file (one dict per respondent) and the problems found."""

    answers: list[dict[str, int]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    missing_questions: list[str] = field(default_factory=list)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _norm(text: str) -> str:
    return re.sub(r"[\s«»\"'.,:;!?()\[\]-]+", " ", str(text).lower()).strip()


def _match_header(header: str, questions: list[Question]) -> Question | None:
    h = str(header or "").strip()
    if not h:
        return None
    m = re.match(r"^\[?([A-Za-zА-Яа-я]\d{1,3})\]?(?:[.)\s:]|$)", h)
    if m:
        code = m.group(1).upper()
        for q in questions:
            if q.code.upper() == code:
                return q
    nh = _norm(h)
    for q in questions:
        nq = _norm(q.text)
        if nh == nq or (len(nq) > 20 and (nh.startswith(nq) or nq in nh)):
            return q
    return None


def _rows_from_bytes(content: bytes, filename: str) -> list[list[Any]]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for broken files
            raise ValueError(f"файл не читается как XLSX: {exc}") from exc
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    if name.endswith((".csv", ".txt")):
        for enc in ("utf-8-sig", "cp1251"):
            try:
                text = content.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("файл не в кодировке UTF-8 или Windows-1251")
        sample = text[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    raise ValueError("ожидается файл CSV или XLSX (выгрузка результатов веб-формы)")


def responses_read(
    questionnaire: Questionnaire, group: str, content: bytes, filename: str, *, max_rows: int = 5000
) -> ImportResult:
    """Read a web-form export (CSV/XLSX) of one respondent group.

    Row 1 holds the headers: a question's code («D01», «[D01] …», «D01. …») or its exact text;
    other columns (time stamp, e-mail, class…) are ignored and listed. Each further row is one
    respondent; a cell is 1..4 or a label of the scale (empty = no answer). Errors name the row
    (as in the spreadsheet, header = row 1) and the column (letter and header).
    """
    res = ImportResult()
    if group not in questionnaire.groups:
        res.errors.append(RowError(0, "", f"неизвестная группа респондентов «{group}»"))
        return res
    try:
        rows = _rows_from_bytes(content, filename)
    except ValueError as exc:
        res.errors.append(RowError(0, "", str(exc)))
        return res
    rows = [r for r in rows if any(c not in (None, "") for c in r)] if rows else []
    if not rows:
        res.errors.append(RowError(0, "", "файл пустой"))
        return res
    questions = questionnaire.group_questions(group)
    header = rows[0]
    mapping: dict[int, Question] = {}
    for j, h in enumerate(header):
        q = _match_header(str(h) if h is not None else "", questions)
        if q is None:
            if h not in (None, ""):
                res.ignored_columns.append(f"{_col_letter(j)} «{h}»")
            continue
        if q.code in {x.code for x in mapping.values()}:
            res.errors.append(
                RowError(1, f"{_col_letter(j)} «{h}»", f"вопрос {q.code} встречается второй раз")
            )
            continue
        mapping[j] = q
    res.missing_questions = [q.code for q in questions if q.code not in {x.code for x in mapping.values()}]
    if not mapping:
        res.errors.append(
            RowError(
                1,
                "",
                f"не найдено ни одного вопроса анкеты «{questionnaire.groups[group].get('title', group)}» "
                "в заголовках",
            )
        )
        return res
    if len(rows) - 1 > max_rows:
        res.errors.append(RowError(0, "", f"слишком много строк: {len(rows) - 1} (не более {max_rows})"))
        return res
    allowed = (
        ", ".join(str(v) for v in questionnaire.values)
        + " или "
        + ", ".join(f"«{lb}»" for lb in questionnaire.labels)
    )
    for i, row in enumerate(rows[1:], start=2):
        answers: dict[str, int] = {}
        bad = False
        for j, q in mapping.items():
            cell = row[j] if j < len(row) else None
            try:
                value = questionnaire.value_of(cell)
            except ValueError:
                res.errors.append(
                    RowError(
                        i,
                        f"{_col_letter(j)} «{header[j]}»",
                        f"недопустимый ответ «{cell}»; ожидается {allowed}",
                    )
                )
                bad = True
                continue
            if value is not None:
                answers[q.code] = value
        if bad:
            continue
        if not answers:
            res.errors.append(RowError(i, "", "в строке нет ни одного ответа"))
            continue
        res.answers.append(answers)
    return res
