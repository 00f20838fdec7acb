"""Tiny server-side SVG charts for the admin (no JavaScript, no CDN). Pure: numbers in, markup out."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

PALETTE = ["#1f6feb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#db2777", "#475467"]


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def line_chart(labels, series: dict, *, width=860, height=280, pad=48) -> str:
    """One polyline per series (``{name: [values]}``) over ``labels``; y axis from the data's range."""
    values = [v for vs in series.values() for v in vs if v is not None]
    if len(labels) < 2 or not values:
        return mark_safe('<p class="help">Sem dados suficientes para o gráfico.</p>')
    low, high = min(min(values), 0.0), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(labels) - 1)

    def xy(i, v):
        return pad + i * step, height - pad - (v - low) / span * (height - 2 * pad)

    lines = []
    for n, (name, vs) in enumerate(series.items()):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(vs) if v is not None))
        colour = PALETTE[n % len(PALETTE)]
        lines.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>'
                '<text x="{}" y="{}" fill="{}" font-size="12">{}</text>',
                colour,
                points,
                name,
                width - pad - 150,
                pad - 28 + 14 * n,
                colour,
                name,
            )
        )
    ticks = []
    for k in range(5):
        v = low + span * k / 4
        _x, y = xy(0, v)
        ticks.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e4e7ec"/>'
                '<text x="4" y="{}" font-size="11" fill="#475467">{}</text>',
                pad,
                width - pad,
                f"{y:.1f}",
                f"{y:.1f}",
                f"{y + 4:.1f}",
                _fmt(v),
            )
        )
    every = max(1, len(labels) // 8)
    xlabels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="11" fill="#475467" text-anchor="middle">{}</text>',
        ((f"{xy(i, low)[0]:.1f}", height - pad + 16, labels[i]) for i in range(0, len(labels), every)),
    )
    body = mark_safe("".join(str(t) for t in ticks) + str(xlabels) + "".join(str(line) for line in lines))  # noqa: S308
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img">{}</svg>',
        width,
        height,
        body,
    )


def bar_chart(items: dict, *, width=420, bar=22) -> str:
    """Horizontal bars with percentages: ``{label: value}``."""
    total = sum(v for v in items.values() if v > 0)
    if not total:
        return mark_safe('<p class="help">Sem posições.</p>')
    rows = []
    for n, (label, value) in enumerate(sorted(items.items(), key=lambda kv: -kv[1])):
        share = max(value, 0) / total
        y = n * (bar + 8)
        rows.append(
            format_html(
                '<text x="0" y="{}" font-size="12" fill="#101828">{}</text>'
                '<rect x="150" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
                '<text x="{}" y="{}" font-size="12" fill="#475467">{}% · R$ {}</text>',
                y + bar - 6,
                label,
                y,
                f"{share * (width - 260):.1f}",
                bar,
                PALETTE[n % len(PALETTE)],
                label,
                f"{155 + share * (width - 260):.1f}",
                y + bar - 6,
                f"{share * 100:.1f}",
                _fmt(value),
            )
        )
    height = len(rows) * (bar + 8)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" role="img">{}</svg>',
        width + 40,
        height,
        width + 40,
        mark_safe("".join(str(r) for r in rows)),  # noqa: S308
    )


def column_chart(labels, series: dict, *, width=860, height=260, pad=48, colours=None) -> str:
    """Stacked columns: one per label, each series (``{name: [values]}``) a segment; a legend on top."""
    totals = [sum(max(vs[i] or 0.0, 0.0) for vs in series.values()) for i in range(len(labels))]
    top = max(totals, default=0.0)
    if not labels or top <= 0:
        return mark_safe('<p class="help">Sem valores no período.</p>')
    colours = colours or PALETTE
    slot = (width - 2 * pad) / len(labels)
    column = slot * 0.6
    scale = (height - 2 * pad) / top
    parts = []
    for i, label in enumerate(labels):
        x, base = pad + i * slot + (slot - column) / 2, height - pad
        for n, (name, values) in enumerate(series.items()):
            value = max(values[i] or 0.0, 0.0)
            if value <= 0:
                continue
            size = value * scale
            base -= size
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} {}: R$ {}</title></rect>',
                    f"{x:.1f}",
                    f"{base:.1f}",
                    f"{column:.1f}",
                    f"{size:.1f}",
                    colours[n % len(colours)],
                    label,
                    name,
                    _fmt(value),
                )
            )
        if totals[i] > 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" fill="#475467" text-anchor="middle">{}</text>',
                    f"{x + column / 2:.1f}",
                    f"{base - 4:.1f}",
                    _fmt(totals[i]),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" fill="#475467" text-anchor="middle">{}</text>',
                f"{x + column / 2:.1f}",
                height - pad + 16,
                label,
            )
        )
    for n, name in enumerate(series):
        parts.append(
            format_html(
                '<rect x="{}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18" font-size="12">{}</text>',
                pad + n * 190,
                colours[n % len(colours)],
                pad + n * 190 + 16,
                name,
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img">{}</svg>',
        width,
        height,
        mark_safe("".join(str(p) for p in parts)),  # noqa: S308
    )
