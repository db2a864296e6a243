"""The disclosure sheet (公示表) people read on the notice board: HTML, and PDF with an embedded font.

Both show the period's table (``api.disclosure.Sheet``): the summary (opening balance,
received, spent, closing balance), the money received, the projects, the money spent, a
chart of the balance over the period, and at the foot the SHA-256 digest that
``Fund.PeriodDisclosed`` recorded (or 尚未公示, "not yet disclosed"). The PDF embeds a subset
of Noto Sans SC (``api/fonts``, SIL OFL 1.1; fpdf2 subsets it again to the characters a sheet
uses, so a sheet is some tens of kilobytes); a character outside the font prints as □.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import html
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import FontFace
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import views
from api.auth import InvalidToken, from_header
from api.disclosure import Sheet, sheet
from domain.funds.disclosure import parse_period
from domain.shared.errors import InvalidInput

FONT = Path(__file__).parent / "fonts" / "NotoSansSC-GB2312.otf"

FUND_KINDS = {"SERVICE_FUND": "为民服务专项经费", "RED_FUND": "红色基金", "WORK_FUND": "工作经费",
              "WELFARE_FUND": "惠民资金", "ACTIVITY_FUND": "活动经费", "AREA_FUND": "片区经费"}
MOVEMENTS = {"ALLOCATION": "拨入", "CARRY_IN": "上年结转", "GRANT_IN": "红色基金拨付", "PAYMENT": "支出",
             "REVERSAL": "冲销（退回）", "GRANT_OUT": "拨出", "CARRY_OUT": "结转下年", "RETURN": "结余退回"}
SOURCES = {"FISCAL_BUDGET": "财政预算", "DUES_ALLOCATION": "党费划拨", "FISCAL_SUBSIDY": "财政补贴",
           "UNIT_SPONSORSHIP": "单位赞助", "CARRIED_OVER": "上年结转", "DONATION": "社会捐赠",
           "RED_FUND_GRANT": "红色基金拨付"}
CATEGORIES = {"PARTY_BUILDING": "党建工作", "PUBLIC_SERVICE": "公共服务", "SELF_GOVERNANCE": "居民自治",
              "OTHER_SERVICE": "其他服务"}
STATES = {"PROPOSED": "已提议", "DECIDED": "已集体决议", "APPROVED": "已批准", "ACCEPTED": "已验收",
          "DISCLOSED": "已公示", "REJECTED": "未批准", "CANCELLED": "已撤销", "CARRIED_OUT": "结转下年"}
INCOMING = ("ALLOCATION", "CARRY_IN", "GRANT_IN")


def _period_name(label: str) -> str:
    year, _, part = label.partition("-")
    if not part:
        return f"{year}年度"
    if part[0] == "H":
        return f"{year}年{'上' if part == 'H1' else '下'}半年"
    if part[0] == "Q":
        return f"{year}年第{'一二三四'[int(part[1]) - 1]}季度"
    return f"{year}年{int(part)}月"


def _money(text: str) -> str:
    return f"{Decimal(text):,.2f}"


@functools.cache
def _glyphs() -> frozenset[int]:
    return frozenset(TTFont(FONT, lazy=True)["cmap"].getBestCmap())


def _printable(text: str) -> str:
    have = _glyphs()
    return "".join(c if ord(c) in have else "□" for c in text)


def _titles(table: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p["title"] for p in table["projects"]}


def rows(table: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The sheet's three tables as text cells: received, projects, spent."""
    titles = _titles(table)
    received = [[m["date"], MOVEMENTS[m["kind"]], SOURCES.get(m["source"] or "", ""), m["reference"] or "",
                 _money(m["amount"])] for m in table["movements"] if m["kind"] in INCOMING]
    projects = [[p["title"], CATEGORIES.get(p["category"], p["category"]), STATES.get(p["state"], p["state"]),
                 _money(p["approved"]), _money(p["paid_in_period"]), _money(p["paid_to_period_end"])]
                for p in table["projects"]]
    spent = [[m["date"], MOVEMENTS[m["kind"]], titles.get(m["project_id"] or "", ""), m["payee"] or "",
              m["reference"] or "", _money(m["amount"])] for m in table["movements"] if m["kind"] not in INCOMING]
    return {"received": received, "projects": projects, "spent": spent}


HEADS = {"received": ["日期", "类别", "来源", "文号", "金额（元）"],
         "projects": ["项目", "类别", "状态", "批准金额", "本期支付", "累计支付"],
         "spent": ["日期", "类别", "项目", "收款方", "凭证号 / 文号", "金额（元）"]}
SECTIONS = {"received": "一、资金来源", "projects": "二、项目", "spent": "三、资金支出"}


def _title(s: Sheet) -> str:
    t = s.table
    return f"{s.organization} {t['fund']['year']}年{FUND_KINDS.get(t['fund']['kind'], t['fund']['kind'])}公示" \
           f"（{_period_name(t['period']['label'])}）"


def _foot(s: Sheet) -> list[str]:
    t = s.table
    if s.disclosure is None:
        lines = ["尚未公示（not yet disclosed）：本表为截至目前的账目，未记录公示摘要。"]
    else:
        d = s.disclosure
        lines = [f"公示摘要（SHA-256）：{d.digest}",
                 f"公示日期：{d.published_on.isoformat()}　公示地点：{d.place}　"
                 f"依据账目事件 1–{d.covers_version}（{t['format']}）"]
        if s.changed_since:
            lines.append("注意：本期账目在公示后已有更正，应重新公示。")
    lines.append(f"核验：grassroots fund disclosure-verify {t['fund']['id']} --period {t['period']['label']}")
    return lines


def _points(s: Sheet) -> list[tuple[date, Decimal]]:
    """The balance as a step line: the opening balance, each day's closing balance, the end."""
    t = s.table
    start, end = date.fromisoformat(t["period"]["from"]), date.fromisoformat(t["period"]["to"])
    running = Decimal(t["opening_balance"])
    points = [(start, running)]
    for day, balance in s.daily:
        points += [(date.fromisoformat(day), running), (date.fromisoformat(day), Decimal(balance))]
        running = Decimal(balance)
    points.append((end, running))
    return points


def _scaled(s: Sheet, width: float, height: float) -> tuple[list[tuple[float, float]], Decimal]:
    """The chart's points in a box of ``width`` x ``height`` (y grows downwards), and its top value."""
    points = _points(s)
    start, end = points[0][0], points[-1][0]
    days = max((end - start).days, 1)
    top = max([p[1] for p in points] + [Decimal(1)])
    low = min([p[1] for p in points] + [Decimal(0)])
    span = top - low
    return [((d - start).days / days * width, float((top - v) / span) * height) for d, v in points], top


# -- HTML ----------------------------------------------------------------------------------

_STYLE = ("body{font-family:'Noto Sans SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:60em;"
          "margin:2em auto;color:#222}h1{font-size:1.5em;text-align:center}table{border-collapse:collapse;"
          "width:100%;margin:.5em 0 1.5em}td,th{border:1px solid #888;padding:.25em .5em}td.n{text-align:right}"
          "footer{border-top:1px solid #888;margin-top:2em;padding-top:.5em;font-size:.9em;word-break:break-all}")


def render_html(s: Sheet) -> str:
    """The sheet as one self-contained HTML page (no script, no outside resource)."""
    e = html.escape
    t = s.table
    cells = rows(t)
    parts = [f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(_title(s))}</title>'
             f"<style>{_STYLE}</style></head><body><h1>{e(_title(s))}</h1>",
             f"<p>公示期间：{t['period']['from']} 至 {t['period']['to']}</p>",
             "<table><tr><th>期初余额</th><th>本期收入</th><th>本期支出</th><th>期末余额</th></tr><tr>",
             *(f'<td class="n">{_money(t[k])}</td>' for k in ("opening_balance", "received", "spent",
                                                             "closing_balance")),
             "</tr></table>"]
    for key, heading in SECTIONS.items():
        parts.append(f"<h2>{heading}</h2><table><tr>{''.join(f'<th>{h}</th>' for h in HEADS[key])}</tr>")
        for row in cells[key] or [["（无）", *[""] * (len(HEADS[key]) - 1)]]:
            parts.append("<tr>" + "".join(f'<td class="n">{e(c)}</td>' if (i == len(row) - 1 and key != "projects")
                                          or (key == "projects" and i >= 3) else f"<td>{e(c)}</td>"
                                          for i, c in enumerate(row)) + "</tr>")
        parts.append("</table>")
    points, top = _scaled(s, 600, 200)
    line = " ".join(f"{x + 50:.1f},{y + 10:.1f}" for x, y in points)
    parts.append(
        "<h2>四、余额变化</h2>"
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 680 250" width="100%" role="img"'
        f' aria-label="余额变化图"><rect x="50" y="10" width="600" height="200" fill="none" stroke="#888"/>'
        f'<polyline points="{line}" fill="none" stroke="#c00" stroke-width="2"/>'
        f'<text x="45" y="20" text-anchor="end" font-size="11">{_money(str(top))}</text>'
        f'<text x="50" y="228" font-size="11">{t["period"]["from"]}</text>'
        f'<text x="650" y="228" text-anchor="end" font-size="11">{t["period"]["to"]}</text></svg>')
    parts.append("<footer>" + "".join(f"<p>{e(x)}</p>" for x in _foot(s)) + "</footer></body></html>")
    return "".join(parts)


# -- PDF -----------------------------------------------------------------------------------

_WIDTHS = {"received": (22, 24, 26, 60, 28), "projects": (52, 20, 22, 28, 28, 30),
           "spent": (22, 22, 38, 38, 34, 26)}


def render_pdf(s: Sheet) -> bytes:
    """The sheet as an A4 PDF with the font subset embedded."""
    t = s.table
    pdf = FPDF(format="A4")
    pdf.set_title(_printable(_title(s)))
    pdf.set_creator("grassroots-ledger")
    if s.disclosure is not None:
        pdf.set_creation_date(s.disclosure.recorded_at)
    pdf.add_font("noto", fname=str(FONT))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("noto", size=15)
    pdf.multi_cell(0, 9, _printable(_title(s)), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=9.5)
    pdf.cell(0, 7, f"公示期间：{t['period']['from']} 至 {t['period']['to']}", new_x="LMARGIN", new_y="NEXT")
    summary = [["期初余额", "本期收入", "本期支出", "期末余额"],
               [_money(t[k]) for k in ("opening_balance", "received", "spent", "closing_balance")]]
    _table(pdf, summary, None)
    cells = rows(t)
    for key, heading in SECTIONS.items():
        pdf.set_font("noto", size=11)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("noto", size=8.5)
        body = cells[key] or [["（无）", *[""] * (len(HEADS[key]) - 1)]]
        _table(pdf, [HEADS[key], *body], _WIDTHS[key])
    pdf.set_font("noto", size=11)
    pdf.cell(0, 8, "四、余额变化", new_x="LMARGIN", new_y="NEXT")
    _chart(pdf, s)
    pdf.set_font("noto", size=8)
    for line in _foot(s):
        pdf.multi_cell(0, 5, _printable(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


_HEADINGS = FontFace(emphasis=None, fill_color=(232, 232, 232))  # one face of the font: no bold


def _table(pdf: FPDF, data: list[list[str]], widths: tuple[int, ...] | None) -> None:
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5.5, first_row_as_headings=True,
                   headings_style=_HEADINGS) as table:
        for row in data:
            r = table.row()
            for cell in row:
                r.cell(_printable(cell))
    pdf.ln(2)


def _chart(pdf: FPDF, s: Sheet) -> None:
    t = s.table
    left, width, height = pdf.l_margin + 22, pdf.epw - 26, 45
    if pdf.will_page_break(height + 12):
        pdf.add_page()
    top_y = pdf.get_y() + 2
    points, top = _scaled(s, width, height)
    pdf.set_draw_color(136, 136, 136)
    pdf.rect(left, top_y, width, height)
    pdf.set_draw_color(204, 0, 0)
    pdf.set_line_width(0.5)
    pdf.polyline([(left + x, top_y + y) for x, y in points])
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_font("noto", size=7)
    pdf.set_xy(pdf.l_margin, top_y - 1)
    pdf.cell(20, 4, _money(str(top)), align="R")
    pdf.set_xy(left, top_y + height + 1)
    pdf.cell(40, 4, t["period"]["from"])
    pdf.set_xy(left + width - 40, top_y + height + 1)
    pdf.cell(40, 4, t["period"]["to"], align="R")
    pdf.set_xy(pdf.l_margin, top_y + height + 8)


# -- HTTP ----------------------------------------------------------------------------------

STYLE_POLICY = ("default-src 'none'; style-src 'sha256-"
                + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
                + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
"""The HTML sheet's own policy: its one inline style (by hash), nothing to load or run."""


class DisclosureSheetEndpoint:
    """``GET /funds/{fund_id}/disclosure/{period}.html`` (or ``.pdf``): the period's sheet.

    Authorised with the bearer token like GraphQL and read by the same rule: the fund's
    organization must lie within the caller's scope (``views.scope_condition``, else 404,
    as ``fund(id)`` answers null)."""

    def __init__(self, services: object) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        s = self.services
        try:
            actor = from_header(s.secret, request.headers.get("authorization"))  # type: ignore[attr-defined]
        except InvalidToken as exc:
            return JSONResponse({"error": f"unauthorized: {exc}"}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        period, _, fmt = request.path_params["name"].rpartition(".")
        try:
            fund_id = UUID(request.path_params["fund_id"])
            parse_period(period)
        except ValueError:
            return JSONResponse({"error": "the address is /funds/<fund id>/disclosure/<period>.html or .pdf,"
                                          " a period like 2026-H1"}, status_code=400)
        except InvalidInput as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if fmt not in ("html", "pdf"):
            return JSONResponse({"error": "the sheet is .html or .pdf"}, status_code=400)
        pool: asyncpg.Pool = s.pool  # type: ignore[attr-defined]
        c = views.Conditions()
        c.add("id = ?", fund_id)
        views.scope_condition(c, actor, "organization_id")
        if await pool.fetchval(f"SELECT true FROM funds WHERE {c.where}", *c.args) is None:
            return JSONResponse({"error": "no such fund within your scope"}, status_code=404)
        found = await sheet(pool, fund_id, period)
        if found is None:
            return JSONResponse({"error": "no such fund within your scope"}, status_code=404)
        name = f"fund-{fund_id}-{found.table['period']['label']}.{fmt}"
        headers = {"cache-control": "no-store", "content-disposition": f'inline; filename="{name}"'}
        if fmt == "pdf":
            body = await asyncio.to_thread(render_pdf, found)  # some tens of ms of CPU: off the event loop
            return Response(body, media_type="application/pdf", headers=headers)
        return Response(render_html(found), media_type="text/html; charset=utf-8",
                        headers={**headers, "content-security-policy": STYLE_POLICY})
