"""Charts of the statistics tables: plotly figures, sent to the page as JSON.

The page draws them with plotly.min.js from the plotly package itself (served by the platform,
see ``staticfinders.py``); nothing is fetched from the internet.
"""

import json

import plotly.graph_objects as go

from .statistics import Table

LAYOUT = {
    "margin": {"l": 50, "r": 10, "t": 30, "b": 60},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.25},
    "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": 12},
    "bargap": 0.25,
}


EMPTY = "暂无数据"


def _bars(table: Table, columns: list[str], stacked: bool = False) -> go.Figure:
    """Bars of counts: the axis steps by whole numbers from zero; no counts at all says so."""
    x = [row[0] for row in table.rows]
    figure = go.Figure()
    values = []
    for name in columns:
        index = table.columns.index(name)
        y = [row[index] for row in table.rows]
        values += [v or 0 for v in y]
        figure.add_trace(go.Bar(name=name, x=x, y=y))
    figure.update_layout(**LAYOUT, barmode="stack" if stacked else "group")
    figure.update_xaxes(type="category")
    if not any(values):
        return _empty(figure)
    top = max(values) if not stacked else max(map(sum, zip(*_columns(table, columns), strict=True)))
    # Counts are whole: never 0.2 steps (one step per unit up to 10, then plotly's own, whole).
    figure.update_yaxes(rangemode="tozero", tickformat=",d", dtick=1 if top <= 10 else None)
    return figure


def _columns(table: Table, columns: list[str]) -> list[list[int]]:
    return [[row[table.columns.index(name)] or 0 for row in table.rows] for name in columns]


def _empty(figure: go.Figure) -> go.Figure:
    """A chart with nothing to show: the words, no axes running from -1 to 1."""
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, range=[0, 1])
    figure.add_annotation(
        text=EMPTY, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 16}
    )
    return figure


def _rules(table: Table) -> go.Figure:
    figure = go.Figure(
        go.Heatmap(
            z=[row[1:] for row in table.rows],
            x=table.columns[1:],
            y=[row[0] for row in table.rows],
            zmin=0,
            zmax=100,
            colorscale="RdYlGn",
            hovertemplate="%{y} %{x}: %{z}%<extra></extra>",
        )
    )
    figure.update_layout(**{**LAYOUT, "height": max(320, 40 + 26 * len(table.rows))})
    figure.update_yaxes(type="category", autorange="reversed")
    return figure


def figure_for(table: Table) -> go.Figure:
    if table.name == "acts":
        return _bars(table, ["执法行为", "记录完整", "未说明的中断"])
    if table.name == "rules":
        return _rules(table)
    if table.name == "registration":
        return _bars(table, ["按期登记", "逾期登记", "未登记"], stacked=True)
    if table.name == "devices":
        return _bars(table, ["在用设备"])
    return _bars(table, ["调阅申请", "已批准", "对外提供"])


def chart_json(table: Table) -> dict:
    """The figure as plain JSON data (for json_script)."""
    return json.loads(figure_for(table).to_json())
