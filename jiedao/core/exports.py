"""Export of any list to .xlsx. Columns read only masked personal data: exports are masked."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportColumn:
    label: Promise | str
    value: Callable[[Any], Any]


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def xlsx_bytes(columns: list[ExportColumn], rows: Iterable[Any], title: str = "Sheet") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    sheet.append([str(c.label) for c in columns])
    for row in rows:
        sheet.append([_plain(c.value(row)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(columns: list[ExportColumn], rows: Iterable[Any], name: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}.xlsx"
    response = HttpResponse(xlsx_bytes(columns, rows, title=name), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
