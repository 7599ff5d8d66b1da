"""A trend chart as inline SVG (no image file, no JavaScript): one line per series, weeks along the bottom."""

from __future__ import annotations

from html import escape

COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7e8c", "#57606a")


def trend_svg(labels: list[str], series: list[tuple[str, list[float | None]]], *, width: int = 360,
              height: int = 170) -> str:
    """Rates (0..1, None for a week without notices) as lines; scales to its container (viewBox)."""
    left, right, top, bottom = 34, 14, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="确认率趋势" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="10" font-family="sans-serif">']
    for v in (0, 0.5, 1):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#d0d7de" '
                     f'stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#57606a">{int(v * 100)}%</text>')
    step = max(1, (n + 3) // 4)
    for i, label in enumerate(labels):
        if (n - 1 - i) % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" fill="#57606a">'
                         f'{escape(label)}</text>')
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                         f'<title>{escape(name)} {escape(labels[i])}：{value * 100:.1f}%</title></circle>')
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
    parts.append("</svg>")
    return "".join(parts)


def legend(series: list[tuple[str, list[float | None]]]) -> list[tuple[str, str]]:
    return [(name, COLOURS[k % len(COLOURS)]) for k, (name, _) in enumerate(series)]
