"""A minimal, fast XLSX writer for one sheet of text cells (inline strings).

xlsxwriter spends ~6 µs per cell; the demo writes millions of cells, so the sheet XML is built
column-wise with Polars string expressions and zipped with the standard library. The files open in
Excel/LibreOffice and read with calamine/fastexcel and openpyxl. ``engine="xlsxwriter"`` in
:func:`write_sheet` uses xlsxwriter instead (slower, byte-for-byte different, same content).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _workbook(sheet: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _col_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _xml_text(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )


def _sheet_xml(header: list[str], data: pl.DataFrame) -> list[str]:
    """Sheet XML in pieces; ``data`` holds String columns (null = empty cell) in header order."""
    head_cells = "".join(
        f'<c r="{_col_letter(j)}1" t="inlineStr"><is><t>{escape(h)}</t></is></c>'
        for j, h in enumerate(header)
    )
    pieces = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{head_cells}</row>'
    ]
    if data.height:
        rownum = (pl.int_range(0, pl.len()) + 2).cast(pl.String)
        cells = []
        for j, col in enumerate(data.columns):
            letter = _col_letter(j)
            cell = pl.concat_str(
                [
                    pl.lit(f'<c r="{letter}'),
                    rownum,
                    pl.lit('" t="inlineStr"><is><t>'),
                    _xml_text(pl.col(col)),
                    pl.lit("</t></is></c>"),
                ]
            )
            cells.append(
                pl.when(pl.col(col).is_null() | (pl.col(col) == "")).then(pl.lit("")).otherwise(cell)
            )
        rows = data.select(
            pl.concat_str([pl.lit('<row r="'), rownum, pl.lit('">'), *cells, pl.lit("</row>")]).alias("x")
        )["x"]
        pieces.extend(rows.to_list())
    pieces.append("</sheetData></worksheet>")
    return pieces


def write_sheet(
    path: Path, header: list[str], data: pl.DataFrame, *, sheet: str = "Sheet", engine: str = "fast"
) -> Path:
    """Write one sheet of text cells: the header row, then ``data`` (String columns, in order)."""
    data = data.select(pl.all().cast(pl.String))
    if engine == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        ws = book.add_worksheet(sheet)
        ws.write_row(0, 0, header)
        for i, row in enumerate(data.iter_rows(), start=1):
            for j, v in enumerate(row):
                if v is not None and v != "":
                    ws.write_string(i, j, v)
        book.close()
        return path
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _workbook(sheet))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            buf: list[str] = []
            size = 0
            for piece in _sheet_xml(header, data):
                buf.append(piece)
                size += len(piece)
                if size > 1 << 20:
                    fh.write("".join(buf).encode("utf-8"))
                    buf, size = [], 0
            fh.write("".join(buf).encode("utf-8"))
    return path
