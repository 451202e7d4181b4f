"""The annual summary as .xlsx (a sheet per line of work) and as PDF with Chinese text.

The PDF uses ReportLab's built-in CID font STSong-Light: no font file on the machine, so the
two-command install keeps working on a fresh server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter

from hongxia.reports.models import FiledReport
from hongxia.reports.selectors import Summary

HEADERS = ["指标", "代码", "单位", "本期", "上期", "增减"]
CJK_FONT = "STSong-Light"


def _title(summary: Summary) -> str:
    return f"{summary.region_name}{summary.year}年度工作综述"


def annual_xlsx(summary: Summary, filings: Sequence[FiledReport] = ()) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#F3E9E7"})
    head = book.add_format({"bold": True, "font_size": 14})
    for _line, label, figures in summary.by_line():
        sheet = book.add_worksheet(label[:31])
        sheet.write_string(0, 0, _title(summary), head)
        sheet.write_string(1, 0, f"区划 {summary.region}  年度 {summary.year}")
        for col, h in enumerate(HEADERS):
            sheet.write_string(3, col, h, bold)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 24)
        for r, f in enumerate(figures, start=4):
            sheet.write_string(r, 0, f.label)
            sheet.write_string(r, 1, f.key)
            sheet.write_string(r, 2, f.unit)
            sheet.write_number(r, 3, f.value)
            if f.previous is not None:
                sheet.write_number(r, 4, f.previous)
                sheet.write_number(r, 5, f.change or 0)
        sheet.freeze_panes(4, 0)
    if filings or summary.filed is not None:
        sheet = book.add_worksheet("上报记录")
        for col, h in enumerate(["标题", "区划", "年度", "上报人", "上报时间", "说明"]):
            sheet.write_string(0, col, h, bold)
        rows = list(filings) or ([summary.filed] if summary.filed is not None else [])
        for r, rep in enumerate(rows, start=1):
            for c, v in enumerate([rep.title, rep.region_id, str(rep.year), rep.filed_by_name,
                                   f"{rep.filed_at:%Y-%m-%d %H:%M}", rep.note]):
                sheet.write_string(r, c, v)
    book.close()
    return buf.getvalue()


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def annual_pdf(summary: Summary, filings: Sequence[FiledReport] = ()) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title_style = ParagraphStyle("t", fontName=CJK_FONT, fontSize=16, leading=22)
    h2 = ParagraphStyle("h", fontName=CJK_FONT, fontSize=12, leading=18, spaceBefore=8)
    body = ParagraphStyle("b", fontName=CJK_FONT, fontSize=9, leading=13)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm, title=_title(summary),
                            author="Hongxia")
    story: list[Any] = [Paragraph(escape(_title(summary)), title_style)]
    if summary.filed is not None:
        f = summary.filed
        story.append(Paragraph(
            escape(f"上报：{f.filed_by_name} {f.filed_at:%Y-%m-%d %H:%M}（区划 {f.region_id}）"),
            body))
    else:
        story.append(Paragraph(f"区划 {summary.region}，即时计算", body))
    for _line, label, figures in summary.by_line():
        story.append(Paragraph(escape(label), h2))
        data = [["指标", "单位", "本期", "上期", "增减"]]
        for fig in figures:
            data.append([Paragraph(escape(fig.label), body), fig.unit, _fmt(fig.value),
                         _fmt(fig.previous), _fmt(fig.change)])
        table = Table(data, colWidths=[80 * mm, 14 * mm, 28 * mm, 28 * mm, 28 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F3E9E7")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story.append(table)
    if filings:
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph("上报记录", h2))
        for rep in filings:
            story.append(Paragraph(
                escape(f"{rep.title}　{rep.filed_by_name}　"
                       f"{rep.filed_at:%Y-%m-%d %H:%M}　{rep.note}"),
                body))
    doc.build(story)
    return buf.getvalue()
