"""Charts of the statistics tables: plotly figures as plain JSON data.

The page draws them with plotly.min.js from the plotly package itself (served by the platform,
see ``staticfinders.py``); nothing is fetched from the internet. The figures are written as the
dicts plotly.js reads (``data`` and ``layout``) rather than built with ``plotly.graph_objects``:
validating every property there took half the page's time at a city's size (issue 21 point 3),
and ``test_charts.py`` has plotly validate what is written here instead.
"""

from functools import cache

import plotly.colors
import plotly.io

from .statistics import Table

LAYOUT = {
    "margin": {"l": 50, "r": 10, "t": 30, "b": 60},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.25},
    "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": 12},
    "bargap": 0.25,
}


EMPTY = "暂无数据"


@cache
def _template() -> dict:
    """plotly's default look, as plotly.py would attach it to each figure."""
    return plotly.io.templates[plotly.io.templates.default].to_plotly_json()


@cache
def _red_yellow_green() -> list[list]:
    """The RdYlGn scale as stops (plotly.js knows it only by value, not by this name)."""
    colours = plotly.colors.diverging.RdYlGn
    return [[i / (len(colours) - 1), colour] for i, colour in enumerate(colours)]


def _layout(**more) -> dict:
    return {**LAYOUT, "template": _template(), **more}


def _bars(table: Table, columns: list[str], stacked: bool = False) -> dict:
    """Bars of counts: the axis steps by whole numbers from zero; no counts at all says so."""
    x = [row[0] for row in table.rows]
    data = []
    for name, y in zip(columns, _columns(table, columns, zero=False), strict=True):
        data.append({"type": "bar", "name": name, "x": x, "y": y})
    layout = _layout(barmode="stack" if stacked else "group", xaxis={"type": "category"})
    counts = _columns(table, columns)
    if not any(map(any, counts)):
        return _empty(data, layout)
    top = max(map(sum, zip(*counts, strict=True))) if stacked else max(map(max, counts))
    # Counts are whole: never 0.2 steps (one step per unit up to 10, then plotly's own, whole).
    layout["yaxis"] = {"rangemode": "tozero", "tickformat": ",d"}
    if top <= 10:
        layout["yaxis"]["dtick"] = 1
    return {"data": data, "layout": layout}


def _columns(table: Table, columns: list[str], zero: bool = True) -> list[list]:
    indexes = [table.columns.index(name) for name in columns]
    return [[(row[i] or 0) if zero else row[i] for row in table.rows] for i in indexes]


def _empty(data: list[dict], layout: dict) -> dict:
    """A chart with nothing to show: the words, no axes running from -1 to 1."""
    layout["xaxis"] = {**layout["xaxis"], "visible": False}
    layout["yaxis"] = {"visible": False, "range": [0, 1]}
    layout["annotations"] = [
        {
            "text": EMPTY,
            "x": 0.5,
            "y": 0.5,
            "xref": "paper",
            "yref": "paper",
            "showarrow": False,
            "font": {"size": 16},
        }
    ]
    return {"data": data, "layout": layout}


def _rules(table: Table) -> dict:
    heatmap = {
        "type": "heatmap",
        "z": [row[1:] for row in table.rows],
        "x": table.columns[1:],
        "y": [row[0] for row in table.rows],
        "zmin": 0,
        "zmax": 100,
        "colorscale": _red_yellow_green(),
        "hovertemplate": "%{y} %{x}: %{z}%<extra></extra>",
    }
    layout = _layout(
        height=max(320, 40 + 26 * len(table.rows)),
        yaxis={"type": "category", "autorange": "reversed"},
    )
    return {"data": [heatmap], "layout": layout}


def chart_json(table: Table) -> dict:
    """The figure of one statistics table, as plain JSON data (for json_script)."""
    if table.name == "acts":
        return _bars(table, ["执法行为", "记录完整", "未说明的中断"])
    if table.name == "rules":
        return _rules(table)
    if table.name == "registration":
        return _bars(table, ["按期登记", "逾期登记", "未登记"], stacked=True)
    if table.name == "devices":
        return _bars(table, ["在用设备"])
    return _bars(table, ["调阅申请", "已批准", "对外提供"])
