"""Traceability (可追溯性): each article of 渝卫发〔2019〕70号, the scenarios that exercise it,
and the rules and features that implement it.

One mechanism: the scenario book (quancheng/scenarios/test_article_NN*.py) says what is covered.
An article with behaviour is covered only when its scenario module holds at least one scenario
that is not skipped or expected to fail; the suite runs them, so a failing scenario fails the
build, and ``test_traceability_md_is_current`` fails when docs/traceability.md no longer says
what the book holds. Rules come from the rule registry (their ``articles``); a test marked
``@pytest.mark.rule("A11-gap")`` (on the function or in its module's ``pytestmark``), in the
scenario book or in an app's tests, is listed under that rule. Features
(:data:`FEATURES`) name where the code of an article lives and the unit tests of that code;
they inform, they do not cover.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .rules import RULES
from .rules.base import CHECKABLE_LABELS, NOT_YET

ROOT = Path(__file__).resolve().parent.parent  # the quancheng package

# (number, heading, whether the article asks something of the platform's behaviour)
ARTICLES: list[tuple[int, str, bool]] = [
    (1, "制定目的和依据", False),
    # A definition: its behaviour is that of articles 8 to 27, covered there.
    (2, "全过程记录的含义：全过程留痕和可回溯管理", False),
    (3, "适用范围", False),
    (4, "市、区县职责", False),
    (5, "规范文书制作、信息化建设", False),
    (6, "设备配置", False),
    (7, "统计分析与运用", False),
    (8, "记录形式；内容连续、完整、一致", True),
    (9, "执法文书制作", True),
    (10, "音像记录；记录事项清单", True),
    (11, "音像记录的范围与不间断记录", True),
    (12, "电子数据采集，与文书一致", True),
    (13, "停止使用音像记录的情形与工作记录", True),
    (14, "记录原则：合法、规范、客观、全面、高效、公正", True),
    (15, "监督检查全过程记录", True),
    (16, "行政处罚全过程记录", True),
    (17, "行政强制全过程记录", True),
    (18, "音像记录的内容", True),
    (19, "专人管理、归档保存", True),
    (20, "数据化记录、防删改、同一对象集中储存", True),
    (21, "2个工作日内储存登记；标注与分类保存", True),
    (22, "归档与保存期限", True),
    (23, "长期保存", True),
    (24, "调阅、提供与提取", True),
    (25, "区县检查考评", True),
    (26, "法制稽查抽查", True),
    (27, "责任追究", True),
    (28, "解释与施行", False),
]

CHINESE_NUMERALS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return f"{CHINESE_NUMERALS[tens] if tens > 1 else ''}十{CHINESE_NUMERALS[ones] if ones else ''}"


@dataclass(frozen=True)
class Feature:
    name: str
    articles: tuple[int, ...]
    code: str
    tests: tuple[str, ...]  # test files (relative to the quancheng package)


FEATURES: list[Feature] = [
    Feature(
        "哈希链账本与签名检查点（防删改、可回溯）",
        (2, 20, 27),
        "quancheng/ledger",
        ("ledger/tests/test_record_event.py", "ledger/tests/test_verify.py"),
    ),
    Feature(
        "执法文书、音像记录、电子数据的登记与关联",
        (8, 9, 10, 12, 20),
        "quancheng/records/items.py",
        ("records/tests/test_items.py", "records/tests/test_data_kinds.py"),
    ),
    Feature(
        "采集站导入与自动关联",
        (19, 21),
        "quancheng/records/ingest.py",
        ("records/tests/test_ingest_association.py",),
    ),
    Feature(
        "2个工作日登记期限与延期审批",
        (21,),
        "quancheng/registration",
        ("registration/tests/test_services.py", "registration/tests/test_deadlines.py"),
    ),
    Feature(
        "查阅、播放、下载留痕与机构范围限制",
        (24,),
        "quancheng/web/views_items.py",
        ("records/tests/test_item_pages.py",),
    ),
    Feature(
        "规则配置（记录事项清单、容差）",
        (10,),
        "quancheng/compliance/config.py",
        ("compliance/tests/test_config.py",),
    ),
    Feature(
        "时间轴：覆盖、中断、重叠",
        (8, 11),
        "quancheng/compliance/timeline.py",
        ("compliance/tests/test_timeline.py",),
    ),
    Feature(
        "标记与说明（中断说明、工作记录审核）",
        (11, 13),
        "quancheng/compliance/services.py",
        ("compliance/tests/test_services.py",),
    ),
    Feature(
        "检查发现的答复与审核、完整性",
        (8,),
        "quancheng/compliance/evaluate.py",
        ("compliance/tests/test_clinic_inspection.py", "compliance/tests/test_evaluate.py"),
    ),
    Feature(
        "告警：应录未录、逾期未登记、文件丢失或被改动、越权调阅、违规销毁",
        (21, 27),
        "quancheng/alerts",
        ("alerts/tests/test_sources.py", "alerts/tests/test_alerts.py"),
    ),
    Feature(
        "检查发现、标记与说明的接口",
        (8, 11, 13),
        "quancheng/api/compliance.py",
        ("api/tests/test_compliance_api.py",),
    ),
    Feature(
        "同一执法对象的记录集中可查",
        (20,),
        "quancheng/web/views.py",
        ("web/tests/test_subjects.py",),
    ),
    Feature(
        "区县考评：考评表、总分与趋势（抽查得分自动计入）",
        (25,),
        "quancheng/supervision/evaluations.py",
        ("supervision/tests/test_evaluations.py", "supervision/tests/test_evaluation_pages.py"),
    ),
    Feature(
        "法制稽查案卷抽查：可复现抽样、评查、通报",
        (26,),
        "quancheng/supervision/spotchecks.py",
        ("supervision/tests/test_spotchecks.py", "supervision/tests/test_spot_pages.py"),
    ),
    Feature(
        "归档与移交时的四性检测（真实性、完整性、可用性、安全性），DA/T 48 移交包",
        (19, 20, 22),
        "quancheng/archive/fourchecks.py, quancheng/archive/transfer.py",
        ("archive/tests/test_fourchecks.py", "archive/tests/test_transfer.py"),
    ),
]


SCENARIOS = ROOT / "scenarios"
SKIPPING_MARKS = {"skip", "skipif", "xfail"}


@dataclass(frozen=True)
class Scenario:
    article: int
    test: str  # path::name, the path relative to the repository
    doc: str  # the first line of its docstring
    rules: tuple[str, ...]


@dataclass
class ArticleRow:
    number: int
    heading: str
    behaviour: bool
    rules: list[dict] = field(default_factory=list)
    features: list[dict] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}条"

    @property
    def covered(self) -> bool:
        return bool(self.scenarios)

    @property
    def status(self) -> str:
        if not self.behaviour:
            return "不涉及系统功能"
        if self.covered:
            pending = [r["id"] for r in self.rules if r["checkable"] == NOT_YET]
            return f"已覆盖（{'、'.join(pending)} 尚不能检查）" if pending else "已覆盖"
        if any(r["checkable"] == NOT_YET for r in self.rules):
            return "未覆盖（尚不能检查）"
        return "未覆盖"


def _rule_ids_of(decorators) -> list[str]:
    ids = []
    for node in decorators:
        for call in ast.walk(node):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "rule"
                and call.args
            ):
                continue
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                ids.append(first.value)
    return ids


def _marks_of(decorators) -> set[str]:
    """The names of ``pytest.mark.<name>`` marks among decorators or a pytestmark value."""
    names = set()
    for node in decorators:
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Attribute)
                and sub.value.attr == "mark"
            ):
                names.add(sub.attr)
    return names


def _module_marks(tree: ast.Module) -> list[ast.expr]:
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]


def article_of(path: Path) -> int | None:
    """The article a scenario module is about: test_article_15.py, test_article_22_sealed.py."""
    parts = path.stem.split("_")
    if len(parts) >= 3 and parts[:2] == ["test", "article"] and parts[2].isdigit():
        return int(parts[2])
    return None


def discover_scenarios(root: Path = ROOT) -> list[Scenario]:
    """Every scenario of the book that runs (not skipped, not expected to fail)."""
    found = []
    for path in sorted((root / "scenarios").glob("test_article_*.py")):
        article = article_of(path)
        if article is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marks = _module_marks(tree)
        if _marks_of(module_marks) & SKIPPING_MARKS:
            continue
        relative = path.relative_to(root.parent).as_posix()
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            if _marks_of(node.decorator_list) & SKIPPING_MARKS:
                continue
            doc = (ast.get_docstring(node) or "").strip().splitlines()
            rules = tuple(dict.fromkeys(_rule_ids_of(module_marks + node.decorator_list)))
            found.append(
                Scenario(article, f"{relative}::{node.name}", doc[0] if doc else "", rules)
            )
    return found


def _test_files(root: Path) -> list[Path]:
    return sorted(root.glob("**/tests/test_*.py")) + sorted((root / "scenarios").glob("test_*.py"))


def discover_rule_tests(root: Path = ROOT) -> dict[str, list[str]]:
    """Tests marked ``pytest.mark.rule(id)``: rule id → ["path::test_name", …]."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in _test_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_ids = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
            ):
                module_ids += _rule_ids_of([node.value])
        relative = path.relative_to(root.parent).as_posix()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for rule_id in dict.fromkeys(module_ids + _rule_ids_of(node.decorator_list)):
                    found[rule_id].append(f"{relative}::{node.name}")
    return found


def test_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


def build(root: Path = ROOT) -> list[ArticleRow]:
    rule_tests = discover_rule_tests(root)
    rows = {n: ArticleRow(n, heading, behaviour) for n, heading, behaviour in ARTICLES}
    for scenario in discover_scenarios(root):
        if scenario.article in rows:
            rows[scenario.article].scenarios.append(scenario)
    for rule in RULES:
        for article in rule.articles:
            number = int(article.lstrip("A"))
            rows[number].rules.append(
                {
                    "id": rule.id,
                    "title": rule.title,
                    "checkable": rule.checkable,
                    "checkable_label": CHECKABLE_LABELS[rule.checkable],
                    "note": rule.note,
                    "tests": rule_tests.get(rule.id, []),
                }
            )
    for feature in FEATURES:
        tests = []
        for relative in feature.tests:
            path = root / relative
            if path.exists():
                tests += [f"quancheng/{relative}::{name}" for name in test_functions(path)]
        for number in feature.articles:
            rows[number].features.append(
                {"name": feature.name, "code": feature.code, "tests": tests}
            )
    return [rows[n] for n, _, _ in ARTICLES]


def extra_rules(root: Path = ROOT) -> list[dict]:
    """Rules outside the regulation's articles (the two-officer rule of the penalty law)."""
    rule_tests = discover_rule_tests(root)
    return [
        {"id": r.id, "title": r.title, "reference": r.reference, "tests": rule_tests.get(r.id, [])}
        for r in RULES
        if not r.articles
    ]


def markdown(rows: list[ArticleRow] | None = None, root: Path = ROOT) -> str:
    rows = rows if rows is not None else build(root)
    total = sum(len(r.scenarios) for r in rows)
    lines = [
        "# Traceability: regulation → scenarios, rules and features",
        "",
        "Generated by `manage.py traceability --write` from the scenario book "
        "(`quancheng/scenarios/test_article_NN*.py`), the rule registry "
        "(`quancheng/compliance/rules/`), the feature list in "
        "`quancheng/compliance/traceability.py` and the tests marked "
        '`@pytest.mark.rule("<id>")`. Do not edit by hand: '
        "`quancheng/compliance/tests/test_traceability.py` fails when this file is stale. "
        "The same table is the page `/compliance/traceability/`.",
        "",
        "An article is covered only when its scenario module holds a scenario that runs (not "
        "skipped, not expected to fail); the suite runs every scenario, so a covered article is "
        "one a passing scenario exercises. Features and unit tests inform, they do not cover.",
        "",
        "Checkable: `full`: the rule checks everything the article asks that the data can show; "
        "`partial`: part of it (see the note); `not_yet`: waits for a part not built yet.",
        "",
        f"Scenarios: {total}.",
        "",
        "| article | heading | status | scenarios | rules (checkable) | features |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        rules = "<br>".join(f"{r['id']} ({r['checkable']})" for r in row.rules) or "—"
        features = "<br>".join(f["name"] for f in row.features) or "—"
        lines.append(
            f"| {row.label} | {row.heading} | {row.status} | {len(row.scenarios)} | {rules} "
            f"| {features} |"
        )
    lines += ["", "## Rules outside the regulation", ""]
    for extra in extra_rules(root):
        lines.append(
            f"- {extra['id']} ({extra['reference']}): {extra['title']}; {len(extra['tests'])} tests"
        )
    lines += ["", "## Notes on rules not fully checkable", ""]
    for rule in RULES:
        if rule.note:
            lines.append(f"- **{rule.id}** ({rule.checkable}): {rule.note}")
    lines += ["", "## The scenario book", ""]
    for row in rows:
        if not row.scenarios:
            continue
        lines += [f"### {row.label} {row.heading}", ""]
        for scenario in row.scenarios:
            rules = f" ({', '.join(scenario.rules)})" if scenario.rules else ""
            lines.append(f"- `{scenario.test}`{rules}: {scenario.doc or '—'}")
        lines.append("")
    lines += ["## Tests per rule", ""]
    for rule_id, tests in sorted(discover_rule_tests(root).items()):
        lines.append(f"- **{rule_id}**: " + ", ".join(f"`{t.split('::')[1]}`" for t in tests))
    return "\n".join(lines) + "\n"
