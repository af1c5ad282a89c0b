"""Charts for people (issue 18): counts on whole-number axes, an empty chart says 暂无数据."""

from quancheng.supervision.charts import EMPTY, chart_json
from quancheng.supervision.statistics import Table


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
