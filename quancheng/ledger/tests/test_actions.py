"""The catalogue of ledger actions holds every action the platform records (issue 17).

The source is walked (AST): every call that writes an event (``record_event``,
``record_sequenced_event``, ``record_atomic``, the bulk ``EventSpec``/``spec_for``, and every
function that passes its own ``action`` parameter on to one of them) must name its action as a
literal of the catalogue, an ``Action`` member, or ``Action(...)`` (which refuses an unknown value
when it runs). Labels live in the catalogue only: no dict mapping actions to Chinese elsewhere.
"""

from __future__ import annotations

import ast
import pathlib
import re
from dataclasses import dataclass, field

import pytest

import quancheng
from quancheng.ledger.actions import UNKNOWN_LABEL, Action, basis_of, catalogue_table, label_of

ROOT = pathlib.Path(quancheng.__file__).parent
DOCS = ROOT.parent / "docs"
# The writers, and the position of their action argument.
WRITERS = {
    "record_event": 1,
    "record_sequenced_event": 1,
    "record_atomic": 1,
    "spec_for": 1,
    "EventSpec": 0,
}
ARTICLE = re.compile(r"^第[一二三四五六七八九十]+条$")


@dataclass
class Found:
    actions: dict = field(default_factory=dict)  # action string -> [where]
    members: dict = field(default_factory=dict)  # Action member name -> [where]
    problems: list = field(default_factory=list)


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent)
        if {"tests", "migrations"} & set(rel.parts) or path.name.startswith(("test_", "conftest")):
            continue
        yield rel, ast.parse(path.read_text(), str(rel))


def _enclosing(node, parents):
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return None


def _params(func) -> list[str]:
    return [a.arg for a in func.args.posonlyargs + func.args.args]


class _Walk:
    def __init__(self):
        self.modules = list(_modules())
        self.writers = {name: (pos, "action") for name, pos in WRITERS.items()}

    def run(self) -> Found:
        # Functions that forward their action parameter become writers too: repeat until none
        # is added.
        while True:
            self.added = False
            self.found = Found()
            for path, tree in self.modules:
                self._module(path, tree)
            if not self.added:
                return self.found

    def _module(self, path, tree):
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        module_names = {
            t.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
            key = f"{path}::{name}" if f"{path}::{name}" in self.writers else name
            if key not in self.writers:
                continue
            pos, keyword = self.writers[key]
            arg = next((k.value for k in node.keywords if k.arg == keyword), None)
            if arg is None and isinstance(f, ast.Attribute) and name not in WRITERS:
                pos -= 1  # a method called on its object: self is not in the call
            if arg is None and 0 <= pos < len(node.args):
                arg = node.args[pos]
            if arg is not None:
                where = f"{path}:{node.lineno}"
                self._resolve(arg, _enclosing(node, parents), module_names, where, path)

    def _resolve(self, expr, func, module_names, where, path):
        found = self.found
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            found.actions.setdefault(expr.value, []).append(where)
            return
        if isinstance(expr, ast.Attribute) and getattr(expr.value, "id", None) == "Action":
            found.members.setdefault(expr.attr, []).append(where)
            return
        if isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "Action":
            return  # Action(value) refuses a value not in the catalogue when it runs
        if isinstance(expr, ast.IfExp):
            self._resolve(expr.body, func, module_names, where, path)
            self._resolve(expr.orelse, func, module_names, where, path)
            return
        if isinstance(expr, ast.Name):
            if func is not None and expr.id in _params(func):
                # Forwarded: the function's own callers are checked.
                key = f"{path}::{func.name}" if func.name.startswith("_") else func.name
                if key not in self.writers:
                    self.writers[key] = (_params(func).index(expr.id), expr.id)
                    self.added = True
                return
            values = [
                node.value
                for node in (ast.walk(func) if func is not None else [])
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
            ] or ([module_names[expr.id]] if expr.id in module_names else [])
            for value in values:
                self._resolve(value, func, module_names, where, path)
            if values:
                return
        found.problems.append(
            f"{where}: the action {ast.unparse(expr)!r} is neither a literal, an Action member "
            "nor Action(...)"
        )


@pytest.fixture(scope="module")
def found() -> Found:
    return _Walk().run()


def test_every_recorded_action_is_in_the_catalogue(found):
    assert not found.problems
    known = {a.value for a in Action}
    missing = {a: where for a, where in found.actions.items() if a not in known}
    assert not missing, f"actions recorded but not in quancheng/ledger/actions.py: {missing}"
    bad_members = {m: w for m, w in found.members.items() if m not in Action.__members__}
    assert not bad_members
    # The walk sees the platform's writers (a guard against a walk that finds nothing).
    assert len(found.actions) + len(found.members) > 150


def test_the_walk_catches_a_free_string(tmp_path, monkeypatch):
    """The check fails on old code: a call site recording a string the catalogue lacks."""
    source = (
        "def mark(actor, thing):\n"
        "    _log(actor, 'thing.frobbed', thing)\n"
        "def _log(actor, action, obj):\n"
        "    record_event(actor, action, obj)\n"
        "def other(actor, kind):\n"
        "    record_event(actor, f'{kind}.made')\n"
    )
    walk = _Walk()
    walk.modules = [(pathlib.Path("x.py"), ast.parse(source))]
    result = walk.run()
    assert "thing.frobbed" in result.actions and "thing.frobbed" not in set(Action)
    assert len(result.problems) == 1 and "{kind}.made" in result.problems[0]


def test_every_entry_has_a_chinese_label_and_an_article():
    for action in Action:
        assert re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", action.value), action
        assert re.search(r"[\u4e00-\u9fff]", action.label), action
        assert ARTICLE.match(action.basis), action
    labels = [a.label for a in Action]
    assert len(labels) == len(set(labels)), "two actions read the same to a person"


def test_a_stored_string_reads_as_its_label():
    assert label_of("document.signature_checked") == "核验电子签名"
    assert basis_of("dossier.frozen") == "第二十二条"
    assert label_of("retired.action") == UNKNOWN_LABEL
    with pytest.raises(ValueError, match="is not a valid"):
        Action("segment.frobbed")


def test_no_other_dict_maps_actions_to_labels():
    """The six label dicts of old (history, devices, items, requests, dossiers, access report)
    are gone: a dict literal keyed by two or more catalogue actions is a second catalogue."""
    known = {a.value for a in Action}
    offenders = []
    for path, tree in _modules():
        if path.name == "actions.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                hits = sum(k in known for k in keys)
                if hits >= 2 and hits * 2 > len(keys):  # (alert kinds share a few names)
                    offenders.append(f"{path}:{node.lineno}")
    assert not offenders


def test_the_ledger_doc_holds_the_catalogue_as_it_is():
    """docs/ledger.md carries the table ``catalogue_table()`` writes (regenerate: see there)."""
    assert catalogue_table() in (DOCS / "ledger.md").read_text()
