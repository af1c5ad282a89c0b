"""The traceability table: every rule has tests, uncovered articles are shown as such."""

from io import StringIO

from django.core.management import call_command

from quancheng.compliance import traceability
from quancheng.compliance.rules import RULES


def test_every_rule_has_marked_tests_discovered_from_the_source():
    found = traceability.discover_rule_tests()
    for rule in RULES:
        assert found.get(rule.id), f"{rule.id} has no test marked pytest.mark.rule"
    assert (
        "quancheng/compliance/tests/test_rule_a11_gap.py::test_fires_on_an_unexplained_three_minute_gap"
        in found["A11-gap"]
    )


def test_an_article_with_behaviour_but_no_tested_rule_or_feature_is_uncovered(tmp_path):
    rows = {row.number: row for row in traceability.build()}
    assert rows[11].covered and rows[11].status == "已覆盖"
    assert not rows[1].behaviour and rows[1].status == "不涉及系统功能"
    # A22 is checked by its rule now, with its tests.
    assert rows[22].covered and rows[22].status == "已覆盖"
    # Supervision (A25, A26) is covered by features, not rules.
    assert rows[25].covered and rows[26].covered
    # Without its tests an article loses its coverage.
    empty = tmp_path / "quancheng"
    empty.mkdir()
    bare = {row.number: row for row in traceability.build(root=empty)}
    assert not bare[11].covered
    assert bare[25].status == "未覆盖"


def test_command_writes_the_markdown(tmp_path):
    target = tmp_path / "traceability.md"
    out = StringIO()
    call_command("traceability", output=str(target), stdout=out)
    text = target.read_text(encoding="utf-8")
    assert "| 第十一条 |" in text and "A11-gap (full)" in text
    # Every article with behaviour is covered now (A25 and A26 by the supervision features).
    assert "uncovered: none" in out.getvalue()
    assert "第二十二条" not in out.getvalue()
