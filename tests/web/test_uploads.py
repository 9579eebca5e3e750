"""The one check of an attached file: type, first bytes, size, emptiness — with the file's name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shnor.web.uploads import MB, upload_check


def test_a_pdf_passes_with_its_name_and_size() -> None:
    f = SimpleUploadedFile("C:\\Documents\\протокол.pdf", b"%PDF-1.4 body", content_type="application/pdf")
    assert upload_check(f, max_bytes=MB) == ("протокол.pdf", 13)


@pytest.mark.parametrize(
    ("name", "body", "limit", "message"),
    [
        ("script.exe", b"MZ", MB, "файл «script.exe»: недопустимый тип"),
        ("отчёт.pdf", b"PK\x03\x04zip", MB, "содержимое не соответствует расширению .pdf"),
        ("пусто.txt", b"", MB, "файл «пусто.txt» пустой"),
        ("data.csv", b"a;b\x00c", MB, "ожидается текстовый файл"),
        ("big.v2.pdf", b"%PDF" + b"0" * 2000, 1000, "файл «big.v2.pdf»: 0,0 МБ, больше допустимых 0 МБ"),
    ],
)
def test_a_bad_file_is_refused_naming_it(name, body, limit, message) -> None:
    with pytest.raises(ValidationError, match=message):
        upload_check(SimpleUploadedFile(name, body), max_bytes=limit)
