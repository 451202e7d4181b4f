"""Chart geometry for server-rendered inline SVG: no JavaScript, no CDN, prints as drawn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def hbars(items: Sequence[tuple[str, float, str]], *, width: int = 640,
          bar: int = 20, gap: int = 8, label_w: int = 120) -> dict[str, Any]:
    """Horizontal bars: items are (label, value, link). Returns the SVG's size and bars."""
    top = max((v for _l, v, _u in items), default=0) or 1
    span = width - label_w - 80
    bars = []
    for i, (label, value, url) in enumerate(items):
        y = i * (bar + gap)
        bars.append({"label": label, "value": value, "url": url, "y": y,
                     "ty": y + bar * 0.72, "x": label_w, "w": max(1, round(span * value / top)),
                     "vx": label_w + max(1, round(span * value / top)) + 6, "h": bar})
    return {"width": width, "height": max(1, len(items) * (bar + gap)), "bars": bars,
            "label_w": label_w - 8}


def columns(items: Sequence[tuple[str, float]], *, width: int = 640,
            height: int = 180) -> dict[str, Any]:
    """Vertical columns for a monthly trend: items are (label, value)."""
    top = max((v for _l, v in items), default=0) or 1
    n = max(1, len(items))
    slot = width / n
    plot = height - 36
    cols = []
    for i, (label, value) in enumerate(items):
        h = round(plot * value / top)
        x = round(i * slot + slot * 0.15)
        cols.append({"label": label, "value": value, "x": x, "w": round(slot * 0.7),
                     "y": 16 + plot - h, "h": h, "cx": round(i * slot + slot / 2),
                     "vy": 12 + plot - h, "ly": height - 6})
    return {"width": width, "height": height, "cols": cols, "base": 16 + plot}
