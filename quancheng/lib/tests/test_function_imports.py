"""Issue 17 point 1: no import of another app hidden inside a function without a reason.

import-linter (the layer contract in pyproject.toml, run by scripts/test) already refuses an
upward import wherever it is written, a function's body included. What it cannot see is why a
downward import sits in a function rather than at the top of the module, where a reader looks
for a module's dependencies. Here each one must say why, in a comment on its line or on the line
above (an ``AppConfig.ready()`` connecting receivers, a heavy library loaded only when used, a
management command's optional part).
"""

import ast
from pathlib import Path

import quancheng

PACKAGE = Path(quancheng.__file__).parent
SKIPPED_PARTS = {"tests", "migrations", "scenarios", "tests_deploy"}


def _app_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_app(node: ast.stmt, app: str) -> str | None:
    """The app a function-level import reaches, when it is another quancheng app."""
    if isinstance(node, ast.ImportFrom):
        if node.level >= 2:
            return "(relative, another app)"
        if node.level == 0 and node.module and node.module.startswith("quancheng."):
            other = node.module.split(".")[1]
            return other if other != app else None
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("quancheng."):
                other = alias.name.split(".")[1]
                if other != app:
                    return other
    return None


def _has_reason(lines: list[str], node: ast.stmt) -> bool:
    """A comment on the import's lines, or above the block of imports it belongs to."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    if any("#" in lines[i] for i in range(first, last + 1)):
        return True
    above = first - 1
    while above >= 0:
        line = lines[above].strip()
        if line.startswith("#"):
            return True
        if not (line == "" or line.startswith(("from ", "import ", ")")) or line.endswith(",")):
            return False
        above -= 1
    return False


def function_level_imports_without_reason() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = set(path.relative_to(PACKAGE).parts)
        if parts & SKIPPED_PARTS or path.name == "conftest.py":
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        app = _app_of(path)
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                if _imported_app(node, app) and not _has_reason(lines, node):
                    where = path.relative_to(PACKAGE.parent)
                    found.append(f"{where}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


def test_no_function_level_import_of_another_app_without_a_reason():
    found = function_level_imports_without_reason()
    assert found == [], (
        "move these imports to the top of their module, or say on the line (or the one above)"
        " why they must wait until the function runs:\n" + "\n".join(found)
    )
