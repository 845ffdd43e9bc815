"""A month's statement as CSV, for the customer's accounts department (opens in Excel: UTF-8
with a byte-order mark, and no cell that a spreadsheet would run as a formula)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    headers = [
        _("Capability"), _("Model"), _("API key"), _("Calls"), _("Input tokens"),
        _("Output tokens"), _("Tokens"), _("Audio seconds"), _("Characters"),
        _("Images"), _("Frames"), _("Cost (yuan)"),
    ]  # fmt: skip
    writer.writerow(headers)
    for line in data["lines"]:
        writer.writerow(
            _cell(value)
            for value in (
                line["label"], line["model"], line["key"] or _("Portal and products"),
                line["requests"], line["input_tokens"], line["output_tokens"], line["tokens"],
                line["audio_seconds"], line["characters"], line["images"], line["frames"],
                f"{line['cost']:.6f}",
            )
        )  # fmt: skip
    writer.writerow([_("Total"), "", "", data["calls"], *[""] * 7, f"{data['total']:.2f}"])
    if data["users"]:
        # After a blank row, so a sum over the lines above stops at the total.
        writer.writerow([])
        writer.writerow([_("Spend by user")])
        writer.writerow([pgettext("spender", "User"), _("Calls"), _("Cost (yuan)")])
        for user in data["users"]:
            writer.writerow([_cell(user["name"]), user["calls"], f"{user['cost']:.6f}"])
    return out.getvalue()


def response(data: dict) -> HttpResponse:
    body = "\ufeff" + render(data)
    result = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"statement-{data['tenant'].slug}-{data['month']:%Y-%m}.csv"
    result["Content-Disposition"] = f'attachment; filename="{name}"'
    return result
