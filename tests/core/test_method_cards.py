"""Method cards: every card complete, in plain Russian, honest about flags, its figures copied from the
docs, its version read from the settings defaults; the DOCX holds every card."""

from __future__ import annotations

import io
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from docx import Document

from shnor.core.method_cards import LIST_FIELDS, MethodCard, MethodCardError, cards_load, cards_parse
from shnor.core.reports.method_card import NO_VERDICTS, method_cards_docx

DOCS = Path(__file__).resolve().parents[2] / "docs"
CODES = ["fioko", "objectivity", "value_added", "social_index", "low_results"]
#: A span in backticks: program text (the command behind the figures), the only place Latin may appear.
CODE_SPAN = re.compile(r"`[^`]*`")
COMMAND_PREFIX = "Команда, которой получены эти цифры: "


def _texts(card: MethodCard) -> list[tuple[str, str]]:
    """(field, text) of every text of the card."""
    out = [("title", card.title), ("purpose", card.purpose), ("version", card.version)]
    for name in LIST_FIELDS:
        out += [(name, line) for line in getattr(card, name)]
    return out


def _command(card: MethodCard) -> str:
    lines = [x for x in card.synthetic_rates if x.startswith(COMMAND_PREFIX)]
    assert len(lines) == 1, card.code
    return CODE_SPAN.search(lines[0]).group(0).strip("`")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\\n", " "))


def test_every_method_has_a_card_with_every_field_filled() -> None:
    cards = cards_load()
    assert list(cards) == CODES
    for code, card in cards.items():
        assert card.code == code
        for name, text in _texts(card):
            assert text.strip(), f"{code}.{name}"
        assert 3 <= len(card.how) <= 6, code


def test_cards_speak_russian_without_program_names() -> None:
    for card in cards_load().values():
        for name, text in _texts(card):
            spans = CODE_SPAN.findall(text)
            if spans:
                assert name == "synthetic_rates", f"{card.code}.{name}: {text}"
                assert text.startswith(COMMAND_PREFIX), f"{card.code}: {text}"
            latin = re.findall(r"[A-Za-z_]+", CODE_SPAN.sub("", text))
            assert latin == [], f"{card.code}.{name}: {latin} in «{text}»"


def test_the_word_violation_appears_only_negated() -> None:
    seen = 0
    for card in cards_load().values():
        for name, text in _texts(card):
            for m in re.finditer(r"нарушени", text, flags=re.IGNORECASE):
                sentence = re.split(r"[.!?:;]", text[: m.start()])[-1]
                assert re.search(r"\bне\b", sentence, flags=re.IGNORECASE), f"{card.code}.{name}: {text}"
                seen += 1
    assert seen >= 2  # the objectivity cards say it, negated


def test_objectivity_cards_say_signs_not_proof_and_no_ranking() -> None:
    cards = cards_load()
    for code in ("fioko", "objectivity"):
        text = " ".join(cards[code].flag_does_not_mean)
        assert "признак" in text
        assert "не доказательство" in text
        assert "рейтинг" in text
        assert "Рособрнадзор (2026)" in text
        assert "вправе" in " ".join(cards[code].review)


def test_version_is_the_one_in_the_settings_defaults() -> None:
    defaults = resources.files("shnor.core.config.defaults")
    for code, card in cards_load().items():
        toml = tomllib.loads(defaults.joinpath(f"{code}.toml").read_text(encoding="utf-8"))
        assert card.version == str(toml["version"]), code


def test_version_is_read_from_the_settings_not_copied() -> None:
    text = resources.files("shnor.core.method_cards").joinpath("cards.toml").read_text(encoding="utf-8")
    defaults = {code: {"version": f"9.{i}"} for i, code in enumerate(CODES)}
    cards = cards_parse(text, defaults)
    assert [c.version for c in cards.values()] == [f"9.{i}" for i in range(len(CODES))]


def test_a_card_without_its_settings_version_is_refused_with_the_card_named() -> None:
    text = resources.files("shnor.core.method_cards").joinpath("cards.toml").read_text(encoding="utf-8")
    with pytest.raises(MethodCardError, match="«social_index».*«social_index»"):
        cards_parse(text, {code: {"version": "1"} for code in CODES if code != "social_index"})


def test_an_empty_field_is_refused_with_the_card_and_field_named() -> None:
    text = '[x]\nsettings = "fioko"\ntitle = "Т"\npurpose = "З"\ninputs = []\n'
    with pytest.raises(MethodCardError, match="карточка «x»: поле «inputs»"):
        cards_parse(text, {"fioko": {"version": "1"}})


def _doc_table(doc: str, first_cell: str) -> list[list[str]]:
    rows = [
        [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        for line in doc.splitlines()
        if line.startswith("| ") and not line.startswith("| group") and not line.startswith("|---")
    ]
    return [r for r in rows if r[0].startswith(first_cell)]


@pytest.mark.parametrize(
    ("row", "detector", "fioko"),
    [
        ("answer_copying", ("0,92", "1,00"), ("0,68", "0,96")),
        ("hard_task_help", ("0,86", "0,98"), ("0,60", "0,88")),
        ("journal_adjusted", ("0,84", "0,98"), ("0,60", "1,00")),
        ("gain_then_fall", ("0,08", "0,80"), ("0,32", "0,28")),
        ("boundary_inflation", ("0,24", "0,74"), ("0,28", "0,28")),
        ("honest", ("0,003", "0,004"), ("0,26", "0,24")),
        ("strong_lyceum", ("0,00", "0,00"), ("1,00", "1,00")),
    ],
)
def test_objectivity_figures_are_the_docs_table(row: str, detector: tuple, fioko: tuple) -> None:
    (cells,) = _doc_table((DOCS / "objectivity.md").read_text(encoding="utf-8"), row)
    doc_values = tuple(c.replace("*", "").split(" ")[0].replace(".", ",") for c in cells[1:5])
    assert doc_values == detector + fioko
    cards = cards_load()
    pair = {"objectivity": detector, "fioko": fioko}
    for code, (half, full) in pair.items():
        text = " ".join(cards[code].synthetic_rates)
        assert re.search(rf"{re.escape(half)}( \(\d школ[аы]?\))? / {re.escape(full)}", text), (code, row)


def test_low_results_figures_are_the_docs_pooled_table() -> None:
    doc = (DOCS / "low_results.md").read_text(encoding="utf-8")
    pooled = doc.split("#### Три региона вместе")[1].split("Reading:")[0]
    cards = cards_load()
    for label, code in [
        ("добавленная ценность (по умолчанию)", "value_added"),
        ("правило ≥ 30 % «2» (Рособрнадзор)", "low_results"),
        ("показатели приказа (≥ 2 балла)", "low_results"),
    ]:
        (cells,) = _doc_table(pooled, label)
        text = " ".join(cards[code].synthetic_rates)
        for cell in cells[1:]:
            for figure in re.findall(r"\d+(?:\.\d+)? % \(\d+/\d+\)", cell):
                value, frac = figure.split(" % ")
                assert value.replace(".", ",") + " %" in text, (code, label, figure)
                n, d = frac.strip("()").split("/")
                assert f"{n}/{d}" in text or f"{n} из {d}" in text, (code, label, figure)


def test_commands_are_the_ones_in_the_docs() -> None:
    cards = cards_load()
    objectivity_doc = _flat((DOCS / "objectivity.md").read_text(encoding="utf-8"))
    for code in ("fioko", "objectivity"):
        command = _command(cards[code])
        assert command.startswith('python -c "')
        body = _flat(command.removeprefix("python -c "))
        assert body in objectivity_doc
    low_doc = (DOCS / "low_results.md").read_text(encoding="utf-8")
    for code in ("value_added", "low_results"):
        command = _command(cards[code])
        assert command.rsplit(".", 1)[-1] in low_doc  # evaluate_demo(seed)
        assert "2024, 1 и 2" in cards[code].synthetic_rates[-1]


def test_unmeasured_rates_say_so() -> None:
    assert cards_load()["social_index"].synthetic_rates[0].startswith("Не измерялось")


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return "\n".join(p.text for p in doc.paragraphs)


def test_docx_of_all_cards_holds_every_title_and_version() -> None:
    cards = list(cards_load().values())
    text = _docx_text(method_cards_docx(cards, {"objectivity": "Подтверждено после рассмотрения: 1 из 2"}))
    for card in cards:
        assert card.title in text
        assert card.flag_does_not_mean[0] in text
    assert text.count(NO_VERDICTS) == len(cards) - 1
    assert "Подтверждено после рассмотрения: 1 из 2" in text
    assert "Чего отметка НЕ означает" in text


def test_docx_sets_the_command_apart_in_a_monospaced_font() -> None:
    card = cards_load()["objectivity"]
    doc = Document(io.BytesIO(method_cards_docx([card])))
    runs = [r for p in doc.paragraphs for r in p.runs if "objectivity_eval" in r.text]
    assert runs
    assert {r.font.name for r in runs} == {"Courier New"}
    assert all("`" not in p.text for p in doc.paragraphs)


def test_docx_of_no_cards_is_refused() -> None:
    with pytest.raises(ValueError, match="Нет карточек"):
        method_cards_docx([])
