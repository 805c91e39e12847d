"""Draws the API's CloudWatch dashboard, as ApiStack defines it, to an SVG picture:
`python -m tools.dashboard_picture cdk.out/ApiStack.template.json docs/dashboard.svg`.
The layout and what each widget plots, not data (there is none without AWS)."""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any
from xml.sax.saxutils import escape

UNIT = 40  # pixels per dashboard grid unit (the grid is 24 units wide)
LINE = 16


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # Fn::Join: a token (the region, a function's name) becomes a placeholder
        body = "".join(part if isinstance(part, str) else f"<{next(iter(part.values()))}>" for part in body["Fn::Join"][1])
    return json.loads(body)


def plotted(properties: dict[str, Any]) -> list[str]:
    if "insightRule" in properties:
        return ["Contributor Insights, top 10:", properties["insightRule"]["ruleName"]]
    lines = []
    for metric in properties.get("metrics", []):
        options = metric[-1] if isinstance(metric[-1], dict) else {}
        names = [part for part in metric if isinstance(part, str)]
        label = options.get("label") or names[1]
        stat = options.get("stat", properties.get("stat", "Average"))
        lines.append(f"{label}: {names[0]} {names[1]} ({stat})")
    return lines


def svg(body: dict[str, Any]) -> str:
    widgets = body["widgets"]
    width = 24 * UNIT
    height = max(w["y"] + w["height"] for w in widgets) * UNIT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#f4f4f4"/>',
    ]
    for widget in widgets:
        x, y = widget["x"] * UNIT + 4, widget["y"] * UNIT + 4
        w, h = widget["width"] * UNIT - 8, widget["height"] * UNIT - 8
        properties = widget["properties"]
        parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="white" stroke="#bbb"/>')
        parts.append(f'<text x="{x + 8}" y="{y + 20}" font-weight="bold" font-size="14">{escape(properties["title"])}</text>')
        for number, line in enumerate(plotted(properties)):
            parts.append(f'<text x="{x + 8}" y="{y + 44 + number * LINE}" fill="#444">{escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    template_file, picture = map(pathlib.Path, argv)
    picture.write_text(svg(dashboard_body(json.loads(template_file.read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
