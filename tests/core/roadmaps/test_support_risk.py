"""Risk questionnaire: ten factors, scoring, chosen risks, web-form imports with row/column errors."""

from __future__ import annotations

import io

import openpyxl

from shnor.core.roadmaps.risk import profile_compute, questionnaire_default, responses_read


def test_questionnaire_has_the_ten_factors_and_four_groups() -> None:
    q = questionnaire_default()
    assert len(q.factors) == 10
    assert set(q.groups) == {"director", "teachers", "pupils", "parents"}
    assert q.verified is False
    assert all(q.factor(f.code).measures for f in q.factors)


def test_scoring_weights_groups_and_reverses_statements() -> None:
    q = questionnaire_default()
    # equipment: director D01/D02 «полностью не согласен» (4 = max risk), teachers T07 «полностью согласен»
    # (0)
    prof = profile_compute(q, [("director", {"D01": 4, "D02": 4}), ("teachers", {"T07": 1})])
    eq = prof["factors"]["equipment"]
    assert eq["by_group"] == {"director": 100.0, "teachers": 0.0}
    assert eq["score"] == 50.0
    # D06 is a risk statement: agreeing (1) means risk
    prof = profile_compute(q, [("director", {"D06": 1})])
    assert prof["factors"]["language_barriers"]["score"] == 100.0
    assert prof["chosen"] == ["language_barriers"]
    assert prof["factors"]["teacher_shortage"]["score"] is None


def test_chosen_risks_are_capped_and_ranked() -> None:
    q = questionnaire_default()
    answers = {"D01": 4, "D02": 4, "D03": 4, "D04": 3, "D05": 4, "D08": 3, "D09": 4}
    prof = profile_compute(q, [("director", answers)])
    assert len(prof["chosen"]) == q.max_chosen
    scores = [prof["factors"][c]["score"] for c in prof["chosen"]]
    assert scores == sorted(scores, reverse=True)


def test_csv_import_reads_codes_texts_and_labels() -> None:
    q = questionnaire_default()
    text = (
        "Отметка времени;[P01] Мне интересно учиться;P02;Я чувствую себя в школе в безопасности;Класс\n"
        "01.03.2024 10:00;Полностью согласен;2;4;5А\n"
        "01.03.2024 10:05;скорее не согласен;;1 — полностью согласен;5Б\n"
    )
    res = responses_read(q, "pupils", text.encode("cp1251"), "form.csv")
    assert not res.errors
    assert res.answers == [{"P01": 1, "P02": 2, "P03": 4}, {"P01": 3, "P03": 1}]
    assert res.ignored_columns == ["A «Отметка времени»", "E «Класс»"]
    assert "P04" in res.missing_questions


def test_xlsx_import_errors_name_row_and_column() -> None:
    q = questionnaire_default()
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Отметка времени", "R01", "R02"])
    ws.append(["x", 1, 2])
    ws.append(["x", 7, "может быть"])
    ws.append(["x", None, None])
    buf = io.BytesIO()
    book.save(buf)
    res = responses_read(q, "parents", buf.getvalue(), "parents.xlsx")
    msgs = [str(e) for e in res.errors]
    assert msgs[0].startswith("строка 3, столбец B «R01»: недопустимый ответ «7»")
    assert msgs[1].startswith("строка 3, столбец C «R02»: недопустимый ответ «может быть»")
    assert msgs[2] == "строка 4: в строке нет ни одного ответа"
    assert res.answers == [{"R01": 1, "R02": 2}]


def test_import_refuses_foreign_files() -> None:
    q = questionnaire_default()
    assert "CSV или XLSX" in str(responses_read(q, "pupils", b"%PDF-1.4", "a.pdf").errors[0])
    res = responses_read(q, "pupils", b"a,b\n1,2\n", "a.csv")
    assert "не найдено ни одного вопроса" in str(res.errors[0])
    res = responses_read(q, "pupils", b"", "a.csv")
    assert str(res.errors[0]) == "файл: файл пустой"
