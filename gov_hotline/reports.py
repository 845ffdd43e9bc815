"""Daily and weekly reports for leadership: XLSX (openpyxl) and PDF (matplotlib with the
bundled Noto Sans CJK font), generated as jobs."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suite.tenancy.models import Tenant

from . import hotspots
from .models import OrderStatus, ReturnVisit, Satisfaction, WorkOrder

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
PERIOD_LABELS = {"daily": _("Daily report"), "weekly": _("Weekly report")}
FORMATS = ("xlsx", "pdf")


def report_data(tenant: Tenant, period: str, end: datetime | None = None) -> dict:
    end = end or timezone.now()
    start = end - PERIODS[period]
    orders = WorkOrder.objects.for_tenant(tenant).filter(created_at__gte=start, created_at__lt=end)
    by_status = dict(orders.values_list("status").annotate(n=Count("id")))
    by_category = list(orders.values_list("category__name").annotate(n=Count("id")).order_by("-n"))
    by_district = list(orders.values_list("district__name").annotate(n=Count("id")).order_by("-n"))
    by_type = list(orders.values_list("request_type").annotate(n=Count("id")).order_by("-n"))
    visits = ReturnVisit.objects.for_tenant(tenant).filter(
        created_at__gte=start, created_at__lt=end
    )
    visit_counts = dict(visits.values_list("satisfaction").annotate(n=Count("id")))
    total_visits = sum(visit_counts.values())
    satisfied = visit_counts.get(Satisfaction.SATISFIED, 0) + visit_counts.get(
        Satisfaction.BASICALLY, 0
    )
    overdue = (
        WorkOrder.objects.for_tenant(tenant)
        .filter(due_at__lt=end, status__in=["new", "dispatched", "in_progress", "returned"])
        .count()
    )
    clusters = hotspots.clusters(tenant, end, limit=10)
    return {
        "tenant": tenant.name,
        "period": period,
        "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M"),
        "total": orders.count(),
        "closed": by_status.get(OrderStatus.CLOSED, 0),
        "by_status": {str(OrderStatus(k).label): v for k, v in by_status.items()},
        "by_category": [(k or "—", v) for k, v in by_category],
        "by_district": [(k or "—", v) for k, v in by_district],
        "by_type": [(k, v) for k, v in by_type],
        "visits": total_visits,
        "satisfaction_rate": round(satisfied / total_visits, 3) if total_visits else None,
        "overdue": overdue,
        "hotspots": [
            {
                "subcategory": str(c.subcategory),
                "district": c.district.name if c.district else "—",
                "count": c.count,
                "baseline": round(c.baseline, 2),
                "warning": c.is_warning,
            }
            for c in clusters
        ],
    }


TITLES = {"daily": "12345热线日报", "weekly": "12345热线周报"}


def render_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "概况"
    bold = Font(bold=True)
    sheet.append([TITLES[data["period"]], data["tenant"]])
    sheet["A1"].font = bold
    sheet.append(["统计区间", f"{data['start']} 至 {data['end']}"])
    sheet.append(["工单总数", data["total"]])
    sheet.append(["已办结", data["closed"]])
    sheet.append(["超期未办结", data["overdue"]])
    sheet.append(["回访数", data["visits"]])
    rate = data["satisfaction_rate"]
    sheet.append(["满意率", f"{rate * 100:.1f}%" if rate is not None else "—"])
    for title, key, head in (
        ("按分类", "by_category", "一级分类"),
        ("按区域", "by_district", "区域"),
        ("按诉求类型", "by_type", "诉求类型"),
    ):
        ws = book.create_sheet(title)
        ws.append([head, "工单数"])
        ws["A1"].font = ws["B1"].font = bold
        for row in data[key]:
            ws.append(list(row))
    ws = book.create_sheet("热点")
    ws.append(["二级分类", "区域", "当期数量", "此前日均", "预警"])
    for h in data["hotspots"]:
        ws.append(
            [
                h["subcategory"],
                h["district"],
                h["count"],
                h["baseline"],
                "是" if h["warning"] else "",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(data: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from suite.ai.labelling import cjk_font_path

    font = font_manager.FontProperties(fname=str(cjk_font_path()))
    out = io.BytesIO()
    with PdfPages(out) as pdf:
        fig = Figure(figsize=(8.27, 11.69))
        fig.text(
            0.08,
            0.95,
            f"{TITLES[data['period']]} · {data['tenant']}",
            fontproperties=font,
            fontsize=16,
        )
        rate = data["satisfaction_rate"]
        lines = [
            f"统计区间：{data['start']} 至 {data['end']}",
            f"工单总数：{data['total']}  已办结：{data['closed']}  超期：{data['overdue']}",
            f"回访：{data['visits']}  满意率：{f'{rate * 100:.1f}%' if rate is not None else '—'}",
        ]
        for i, line in enumerate(lines):
            fig.text(0.08, 0.91 - i * 0.025, line, fontproperties=font, fontsize=10)
        ax = fig.add_axes((0.3, 0.45, 0.62, 0.36))
        cats = data["by_category"][:12][::-1]
        ax.barh([c[0] for c in cats], [c[1] for c in cats], color="#1f6fd1")
        ax.set_title("按一级分类", fontproperties=font)
        for label in ax.get_yticklabels():
            label.set_fontproperties(font)
        y = 0.38
        fig.text(0.08, y, "热点（近24小时）", fontproperties=font, fontsize=12)
        for h in data["hotspots"][:10]:
            y -= 0.025
            flag = "【预警】" if h["warning"] else ""
            fig.text(
                0.08,
                y,
                f"{flag}{h['subcategory']} · {h['district']}：{h['count']} 件"
                f"（此前日均 {h['baseline']}）",
                fontproperties=font,
                fontsize=9,
            )
        pdf.savefig(fig)
    return out.getvalue()


def render(data: dict, fmt: str) -> bytes:
    return render_xlsx(data) if fmt == "xlsx" else render_pdf(data)
