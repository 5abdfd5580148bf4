"""The evaluation report on disk: the full JSON, and one self-contained HTML page with inline SVG plots.

Inline SVG keeps the page a single file that opens anywhere (review tools, mail, a farm's web UI),
with no plotting library to install.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ghost_core.io.atomic import atomic_output, make_output_folder

PLOT_W, PLOT_H, PAD = 640, 180, 36
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _polyline(xs: Sequence[float], ys: Sequence[float | None], sx: Any, sy: Any) -> list[str]:
    """SVG polylines, broken where a value is missing."""
    runs, current = [], []
    for x, y in zip(xs, ys, strict=True):
        if y is None or not math.isfinite(y):
            if current:
                runs.append(current)
            current = []
            continue
        current.append(f"{sx(x):.1f},{sy(y):.1f}")
    if current:
        runs.append(current)
    return [" ".join(r) for r in runs]


def svg_plot(title: str, xs: Sequence[float], series: dict[str, Sequence[float | None]], unit: str) -> str:
    """A small line plot per frame; one coloured line per series, with its legend."""
    values = [v for ys in series.values() for v in ys if v is not None and math.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    x0, x1 = (min(xs), max(xs)) if xs else (0, 1)
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (PLOT_W - 2 * PAD)

    def sy(y: float) -> float:
        return PLOT_H - PAD + (lo - y) / (hi - lo) * (PLOT_H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PLOT_W}" height="{PLOT_H}" role="img">',
        f'<text x="{PAD}" y="16" font-size="13">{html.escape(title)} ({html.escape(unit)})</text>',
        f'<line x1="{PAD}" y1="{PLOT_H - PAD}" x2="{PLOT_W - PAD}" y2="{PLOT_H - PAD}" stroke="#999"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{PLOT_H - PAD}" stroke="#999"/>',
        f'<text x="2" y="{PAD + 4}" font-size="10">{hi:.3g}</text>',
        f'<text x="2" y="{PLOT_H - PAD}" font-size="10">{lo:.3g}</text>',
        f'<text x="{PAD}" y="{PLOT_H - PAD + 14}" font-size="10">frame {x0:g}</text>',
        f'<text x="{PLOT_W - PAD - 50}" y="{PLOT_H - PAD + 14}" font-size="10">frame {x1:g}</text>',
    ]
    for i, (name, ys) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        for points in _polyline(xs, ys, sx, sy):
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(
            f'<text x="{PAD + 10 + 120 * i}" y="{PLOT_H - 6}" font-size="11" fill="{colour}">'
            f"{html.escape(name)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _summary_rows(summary: dict[str, Any], prefix: str = "") -> list[str]:
    rows = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _summary_rows(value, f"{name}.")
        else:
            text = json.dumps(value) if isinstance(value, list) else str(value)
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(text)}</td></tr>")
    return rows


def render_html(report: dict[str, Any]) -> str:
    frames = report["per_frame"]
    xs = frames["frame_result"]
    pose_err = frames["pose_error_deg"]
    plots = [
        svg_plot(
            "identity cosine",
            xs,
            {f"to {k}": v for k, v in frames["cos_source"].items()} | {"to target": frames["cos_target"]},
            "cosine",
        ),
        svg_plot("head pose error vs original", xs, {"mean |Δ yaw, pitch, roll|": pose_err}, "degrees"),
        svg_plot(
            "expression error", xs, {"mouth, eyes, brows": frames["expression_error_iod"]}, "inter-ocular"
        ),
        svg_plot(
            "landmark jitter",
            xs,
            {"result": frames["jitter_result"], "original": frames["jitter_original"]},
            "inter-ocular / frame²",
        ),
    ]
    title = f"ghostswap eval: {report['result']} vs {report['original']}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            "<style>body{font-family:sans-serif;margin:2em}td{padding:2px 12px;font-size:13px}"
            "table{border-collapse:collapse}tr:nth-child(odd){background:#f4f4f4}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>",
            "<h2>Summary</h2><table>",
            *_summary_rows(report["summary"]),
            "</table><h2>Per frame</h2>",
            *[f"<div>{p}</div>" for p in plots],
            "</body></html>",
        ]
    )


def write_report(report: dict[str, Any], folder: str | Path) -> dict[str, str]:
    """eval.json and eval.html in `folder`, each written atomically."""
    folder = Path(folder)
    make_output_folder(folder)
    paths = {"json": folder / "eval.json", "html": folder / "eval.html"}
    with atomic_output(paths["json"]) as tmp:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    with atomic_output(paths["html"]) as tmp:
        tmp.write_text(render_html(report), encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}
