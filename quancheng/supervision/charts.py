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


def _bars(table: Table, columns: list[str], stacked: bool = False) -> go.Figure:
    x = [row[0] for row in table.rows]
    figure = go.Figure()
    for name in columns:
        index = table.columns.index(name)
        figure.add_trace(go.Bar(name=name, x=x, y=[row[index] for row in table.rows]))
    figure.update_layout(**LAYOUT, barmode="stack" if stacked else "group")
    figure.update_xaxes(type="category")
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
