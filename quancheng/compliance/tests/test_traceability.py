"""Traceability from the scenario book: an article is covered only by scenarios that run, and
docs/traceability.md says what the book holds."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from quancheng.compliance import traceability
from quancheng.compliance.rules import RULES

# The articles this book's modules are written for (the other modules are other topics').
BOOK = (8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 25, 26, 27)


def test_every_rule_has_marked_tests_discovered_from_the_source():
    found = traceability.discover_rule_tests()
    for rule in RULES:
        assert found.get(rule.id), f"{rule.id} has no test marked pytest.mark.rule"
    assert (
        "quancheng/scenarios/test_article_15.py::"
        "test_15_4_a_record_150_seconds_off_the_camera_reports_the_difference_in_seconds"
        in found["A15-complete"]
    )


def _book(tmp_path, text: str) -> Path:
    root = tmp_path / "quancheng"
    (root / "scenarios").mkdir(parents=True)
    (root / "scenarios" / "test_article_11.py").write_text(text, encoding="utf-8")
    return root


def test_an_article_is_covered_only_by_a_scenario_that_runs(tmp_path):
    skipped = _book(
        tmp_path,
        "import pytest\n\n\n@pytest.mark.skip\ndef test_gap():\n    '''中断。'''\n\n\n"
        "@pytest.mark.xfail\ndef test_other():\n    pass\n",
    )
    rows = {row.number: row for row in traceability.build(root=skipped)}
    assert not rows[11].covered and rows[11].status == "未覆盖"
    running = _book(tmp_path / "b", "def test_gap():\n    '''中断3分钟：报。'''\n")
    rows = {row.number: row for row in traceability.build(root=running)}
    assert rows[11].covered and rows[11].status == "已覆盖"
    assert rows[11].scenarios[0].doc == "中断3分钟：报。"
    # Unit tests and features alone do not cover an article any more.
    assert not rows[25].covered and not rows[1].behaviour


def test_every_article_of_this_book_has_scenarios_with_an_api_or_page_case():
    rows = {row.number: row for row in traceability.build()}
    for number in BOOK:
        names = [s.test.split("::")[1] for s in rows[number].scenarios]
        assert len(names) >= 4, (number, names)
        assert any("_api_" in n or "_page_" in n for n in names), number
    assert sum(len(rows[n].scenarios) for n in BOOK) >= 80


def test_traceability_md_is_current():
    """Fails when docs/traceability.md is stale: run `manage.py traceability --write`."""
    path = Path(settings.BASE_DIR) / "docs" / "traceability.md"
    assert path.read_text(encoding="utf-8") == traceability.markdown(), (
        "docs/traceability.md is stale: run `manage.py traceability --write` and commit it"
    )


def test_the_command_writes_and_checks(tmp_path):
    target = tmp_path / "traceability.md"
    out = StringIO()
    call_command("traceability", output=str(target), stdout=out)
    text = target.read_text(encoding="utf-8")
    assert "| 第十五条 |" in text and "A15-complete (partial)" in text
    assert "## The scenario book" in text
    call_command("traceability", output=str(target), check=True, stdout=StringIO())
    target.write_text(text + "edited by hand\n", encoding="utf-8")
    with pytest.raises(CommandError, match="stale"):
        call_command("traceability", output=str(target), check=True, stdout=StringIO())
