"""Bar charts drawn on the server as inline SVG: readable without JavaScript, printable, and accessible."""
from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from core.fund import received
from core.scoring import score_text

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
# Drawn at about a phone's width and shown at most 1.2 times larger (svg.chart's max-width in linli.css): the
# words are about 16 px on a phone and under 20 px on a desktop, and the chart stays a glance, not a poster.
WIDTH, HEIGHT = 360, 240
RIGHT, TOP, BOTTOM = 8, 12, 36
FONT, LEGEND_ROW, GAP = 16, 26, 8
CHAR = 0.62  # the width of a figure or Latin letter, in ems: enough room for the longest axis label


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]  # one per month, in minor units
    colour: str


def _nice_top(value: int) -> int:
    """A round maximum for the axis at or above ``value``."""
    if value <= 0:
        return 100
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(title: str, months: list[str], series: list[Series], money, stacked: bool = False,
              top: int | None = None) -> Markup:
    """Monthly bars, side by side or stacked, with a legend; ``money`` formats an axis amount; ``top`` fixes the
    scale (a score's 10), else it is a round number above the highest bar."""
    if not months or not series:
        return Markup("")
    totals = ([sum(s.values[i] for s in series) for i in range(len(months))] if stacked
              else [max(s.values[i] for s in series) for i in range(len(months))])
    top = top or _nice_top(max(totals))
    ticks = [top * n // 4 for n in range(5)]
    left = GAP + round(max(len(money(value)) for value in ticks[::2]) * FONT * CHAR)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / len(months)
    bar_w = group * 0.7 if stacked else group * 0.7 / len(series)
    every = math.ceil(len(months) * FONT * 4.5 / plot_w)  # label every n-th month: labels (2026-12) never overlap
    height = HEIGHT + 8 + LEGEND_ROW * len(series)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for n, value in enumerate(ticks):
        y = TOP + plot_h - plot_h * n / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#767676" '
                     f'stroke-width="{1.5 if n == 0 else 0.5}"/>')
        if n % 2 == 0:  # three labels are enough to read the scale
            parts.append(f'<text x="{left - GAP}" y="{y + 5:.1f}" text-anchor="end" font-size="{FONT}">'
                         f'{escape(money(value))}</text>')
    for i, month in enumerate(months):
        x0 = left + group * i + group * 0.15
        base = 0
        for k, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * k
            y = TOP + plot_h - plot_h * (base + value) / top if stacked else TOP + plot_h - h
            if value:
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                             f'fill="{s.colour}"><title>{escape(s.name)} {escape(month)}: '
                             f'{escape(money(value))}</title></rect>')
            if stacked:
                base += value
        if i % every == 0:
            parts.append(f'<text x="{left + group * (i + 0.5):.1f}" y="{TOP + plot_h + 24}" text-anchor="middle" '
                         f'font-size="{FONT - 2}">{escape(month)}</text>')
    for k, s in enumerate(series):  # one name a row: a long Chinese name has the chart's whole width
        y = HEIGHT + 16 + LEGEND_ROW * k
        parts.append(f'<rect x="{GAP}" y="{y - 13}" width="16" height="16" fill="{s.colour}"/>'
                     f'<text x="{GAP + 24}" y="{y}" font-size="{FONT}">{escape(s.name[:30])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def in_and_out(title: str, monthly: list[dict], money, labels: tuple[str, str]) -> Markup:
    """Money in and money out per month (``monthly`` rows of the transparency report)."""
    months = [row["period"] for row in monthly]
    return bar_chart(title, months, [Series(labels[0], [r["in_amount"] for r in monthly], PALETTE[2]),
                                     Series(labels[1], [r["out_amount"] for r in monthly], PALETTE[1])], money)


def inflows_by_operator(title: str, inflows: list[dict], money) -> Markup:
    """Donations received per month, stacked by operator (``inflows`` rows of the fund view)."""
    months = sorted({row["period"] for row in inflows})
    donors = sorted({row["operator"] for row in inflows})
    values = {(row["operator"], row["period"]): 0 for row in inflows}
    for row in inflows:
        values[(row["operator"], row["period"])] += received(row)
    series = [Series(name, [values.get((name, m), 0) for m in months], PALETTE[k % len(PALETTE)])
              for k, name in enumerate(donors)]
    if not any(any(s.values) for s in series):
        return Markup("")
    return bar_chart(title, months, series, money, stacked=True)


def score_trend(title: str, name: str, periods: list[str], by_period: dict[str, int]) -> Markup:
    """An operator's monthly scores (in tenths) on the fixed 0–10 scale; a month without a score has no bar."""
    if not by_period:
        return Markup("")
    values = [by_period.get(period, 0) for period in periods]
    return bar_chart(title, periods, [Series(name, values, PALETTE[0])], score_text, top=100)


def district_charts(rows: list[dict], words: dict[str, str], money, currency_name=str) -> list[Markup]:
    """One chart per measure of the district summary (``core.district``), a bar group per community; money per
    currency, never one axis for two (``money(amount, currency)`` formats it, ``currency_name`` names it)."""
    names = [row["name"] for row in rows]
    charts = [
        bar_chart(words["bookings"], names, [
            Series(words[tier], [row["bookings"][tier] for row in rows], colour)
            for tier, colour in (("free", PALETTE[2]), ("low_cost", PALETTE[0]), ("paid", PALETTE[1]))],
            str, stacked=True),
        bar_chart(words["operators"], names, [
            Series(words["serving"], [row["operators"] for row in rows], PALETTE[0]),
            Series(words["below"], [row["operator_scores"]["below_passing"] for row in rows], PALETTE[1])], str),
        bar_chart(words["scores"], names, [Series(words["mean"], [
            round((row["operator_scores"]["mean"] or 0) * 10) for row in rows], PALETTE[0])], score_text, top=100),
        bar_chart(words["hours"], names, [Series(words["hours_series"], [
            round(row["volunteer_hours"] * 10) for row in rows], PALETTE[2])], score_text),
    ]
    for currency in sorted({row["currency"] for row in rows}):
        mine = [row for row in rows if row["currency"] == currency]
        charts.append(bar_chart(words["fund"] % {"currency": currency_name(currency)}, [row["name"] for row in mine], [
            Series(words["in"], [row["fund"]["inflow_amount"] for row in mine], PALETTE[2]),
            Series(words["out"], [row["fund"]["outflow_amount"] for row in mine], PALETTE[1])],
            lambda amount, currency=currency: money(amount, currency)))
    return charts


def register_globals(app) -> None:
    """``in_out_chart(monthly, currency)``, ``donors_chart(inflows, currency)``, ``score_chart(periods,
    by_period)``, ``district_charts(rows)`` and ``score_text(tenths)`` for the templates."""
    from flask_babel import gettext as _

    from core.web.i18n import currency_name, money

    def in_out_chart(monthly: list[dict], currency: str) -> Markup:
        return in_and_out(_("Money in and out of the fund, by month"), monthly,
                          lambda amount: money(amount, currency), (_("Money in"), _("Money out")))

    def donors_chart(inflows: list[dict], currency: str) -> Markup:
        others = _("Gifts and other donors")  # the rows of no operator
        named = [row if row["operator_id"] else row | {"operator": others} for row in inflows]
        return inflows_by_operator(_("Donations received each month, by operator"), named,
                                   lambda amount: money(amount, currency))

    def score_chart(periods: list[str], by_period: dict[str, int]) -> Markup:
        return score_trend(_("Monthly score, last 12 months (out of 10)"), _("Score"), periods, by_period)

    def district_chart_list(rows: list[dict]) -> list[Markup]:
        return district_charts(rows, {
            "bookings": _("Bookings by price tier"), "free": _("Free"), "low_cost": _("Low-cost price"),
            "paid": _("Standard price"), "operators": _("Operators serving, and those scored under 6"),
            "serving": _("Operators serving"), "below": _("Scored under 6"),
            "scores": _("Mean operator score (out of 10)"), "mean": _("Mean score"),
            "hours": _("Volunteer hours credited"), "hours_series": _("Hours"),
            "fund": _("The fund's money in and out (%(currency)s)"), "in": _("Money in"), "out": _("Money out")},
            money, currency_name)

    app.jinja_env.globals.update(in_out_chart=in_out_chart, donors_chart=donors_chart, score_chart=score_chart,
                                 score_text=score_text, district_charts=district_chart_list)
