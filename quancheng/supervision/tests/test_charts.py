"""Charts for people (issue 18): counts on whole-number axes, an empty chart says 暂无数据."""

import json

import plotly.graph_objects as go
import pytest

from quancheng.supervision.charts import EMPTY, chart_json
from quancheng.supervision.statistics import Table

COLUMNS = {
    "acts": ["月份", "执法行为", "记录完整", "未说明的中断"],
    "registration": ["月份", "按期登记", "逾期登记", "未登记"],
    "access": ["月份", "调阅申请", "已批准", "对外提供"],
    "devices": ["月份", "在用设备"],
}


def _devices(rows):
    return Table("devices", "在用设备", ["区县", "在用设备"], rows)


def test_counts_step_by_whole_numbers():
    layout = chart_json(_devices([["渝中区", 3], ["江北区", 1]]))["layout"]
    assert layout["yaxis"]["dtick"] == 1 and layout["yaxis"]["tickformat"] == ",d"
    assert layout["yaxis"]["rangemode"] == "tozero"


def test_a_chart_without_counts_says_so_instead_of_running_from_minus_one():
    layout = chart_json(_devices([["渝中区", 0]]))["layout"]
    assert [a["text"] for a in layout["annotations"]] == [EMPTY]
    assert layout["yaxis"]["visible"] is False and layout["yaxis"]["range"] == [0, 1]


def test_rule_columns_are_chinese_with_the_id_beside():
    table = Table("rules", "各规则合规率（%）", ["月份", "音像记录中断"], codes=["", "A11-gap"])
    assert table.headings == [("月份", ""), ("音像记录中断", "A11-gap")]
    assert table.export_columns == ["月份", "音像记录中断（A11-gap）"]


@pytest.mark.parametrize("name", sorted(COLUMNS))
@pytest.mark.parametrize(
    "rows",
    [[], [["2026-01", 0, 0, 0]], [["2026-01", 3, 1, 0]], [["a", 30, None, 2], ["b", 0, 5, 1]]],
)
def test_plotly_accepts_each_figure_as_written_and_changes_nothing(name, rows):
    # The figures are plain dicts (graph_objects cost half the page's time); plotly.py validates
    # every property on the way in and would normalise anything unlike what it writes itself.
    columns = COLUMNS[name]
    chart = chart_json(Table(name, "x", columns, [row[: len(columns)] for row in rows]))
    assert json.loads(go.Figure(chart).to_json()) == chart


def test_plotly_accepts_the_rule_heatmap_as_written():
    table = Table(
        "rules", "x", ["月份", "r1", "r2"], [["2026-01", 50.0, None], ["2026-02", 100, 0]]
    )
    chart = chart_json(table)
    assert json.loads(go.Figure(chart).to_json()) == chart
    assert chart["data"][0]["colorscale"][0] == [0.0, "rgb(165,0,38)"]
