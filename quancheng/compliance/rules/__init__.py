"""The rules (规则): one module per rule id of DOMAIN.md, plus the two-officer rule.

Each module defines ``RULE``: its id, article, severity, Chinese message template and a check
over the act's :class:`~quancheng.compliance.rules.base.Context`. The order here is the order
findings are listed in.

A rule that reads what an app above this one holds lives in that app, which registers it at
ready() with :func:`register` (A23-longterm: ``archive/rules.py``; docs/architecture.md, "Hooks
between layers").
"""

from importlib import import_module

from .base import Rule

MODULES = [
    "a11_dispute",
    "a11_mandatory",
    "a11_gap",
    "a12_data",
    "a13_exempt",
    "a15_identity",
    "a15_door",
    "a15_docs",
    "a15_complete",
    "a16_interrogation",
    "a16_service",
    "a17_coercion",
    "a18_content",
    "a18_picture_clock",
    "a21_deadline",
    "a21_labels",
    "a22_retention",
    "a24_access",
    "a27_violations",
    "two_officers",
]

RULES: list[Rule] = [import_module(f"{__name__}.{name}").RULE for name in MODULES]
BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def register(rule: Rule, *, after: str) -> None:
    """Add a higher app's rule to RULES right after the rule ``after`` (its AppConfig.ready();
    registering the same id again replaces it in place). RULES and BY_ID change in place, so
    modules that imported them see the rule."""
    if rule.id in BY_ID:
        RULES[RULES.index(BY_ID[rule.id])] = rule
    else:
        RULES.insert(RULES.index(BY_ID[after]) + 1, rule)
    BY_ID[rule.id] = rule
