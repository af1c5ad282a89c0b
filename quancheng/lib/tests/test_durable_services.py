"""Issue 17 point 3: every public service that writes a ledger event opens its own durable
transaction, or says that it runs inside its caller's (``require_own_transaction``).

The source is read (an AST walk): a module-level public function outside the page and API layers,
admin, commands and migrations that calls ``record_event`` or ``record_sequenced_event`` must
contain ``durable=True`` or call ``require_own_transaction``. No function is excepted: the
not-yet list of December 2026 (37 functions) emptied once each was made durable, split into a
durable wrapper and a private body, or made a building block that requires the caller's
transaction (docs/transactions.md, "Status").
"""

import ast
from pathlib import Path

import quancheng

PACKAGE = Path(quancheng.__file__).parent
SKIPPED_DIRS = {"tests", "migrations", "management", "scenarios", "tests_deploy", "api", "web"}
SKIPPED_FILES = {"conftest.py", "apps.py", "admin.py"}
WRITERS = {"record_event", "record_sequenced_event"}


def _skipped(path: Path) -> bool:
    rel = path.relative_to(PACKAGE)
    if set(rel.parts[:-1]) & SKIPPED_DIRS or rel.parts[0] in SKIPPED_DIRS:
        return True
    return path.name in SKIPPED_FILES or path.name.startswith(("views", "urls"))


def _called_names(function: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def services_writing_outside_a_durable_transaction() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if _skipped(path):
            continue
        source = path.read_text(encoding="utf-8")
        for function in ast.parse(source).body:
            if not isinstance(function, ast.FunctionDef) or function.name.startswith("_"):
                continue
            if not _called_names(function) & WRITERS:
                continue
            text = ast.get_source_segment(source, function) or ""
            decorators = " ".join(ast.unparse(d) for d in function.decorator_list)
            if "durable=True" in text + decorators or "require_own_transaction" in text:
                continue
            found.add((str(path.relative_to(PACKAGE)), function.name))
    return found


def test_every_service_writes_in_a_durable_transaction_or_the_callers():
    found = services_writing_outside_a_durable_transaction()
    assert found == set(), (
        "open a durable transaction (transaction.atomic(durable=True)) in these, or call"
        " require_own_transaction when they run inside the caller's (docs/transactions.md):\n"
        + "\n".join(f"{path}: {name}" for path, name in sorted(found))
    )


MARKERS = ("# savepoint:", "# not durable:")


def _atomic_blocks(tree: ast.AST):
    """Every ``transaction.atomic(...)`` call and bare ``@transaction.atomic`` decorator."""
    for node in ast.walk(tree):
        target = node.func if isinstance(node, ast.Call) else node
        is_atomic = isinstance(target, ast.Attribute) and target.attr == "atomic"
        if is_atomic and (isinstance(node, ast.Call) or _is_decorator(tree, node)):
            yield node


def _is_decorator(tree: ast.AST, node: ast.AST) -> bool:
    return any(
        node in getattr(f, "decorator_list", ())
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef)
    )


def plain_blocks_without_a_reason() -> set[tuple[str, int]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if _skipped(path) or path.name == "transactions.py":
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in _atomic_blocks(ast.parse(source)):
            keywords = node.keywords if isinstance(node, ast.Call) else []
            if any(k.arg == "durable" for k in keywords):
                continue
            near = " ".join(
                [*_comment_above(lines, node.lineno), *lines[node.lineno - 1 : node.end_lineno]]
            )
            if not any(marker in near for marker in MARKERS):
                found.add((str(path.relative_to(PACKAGE)), node.lineno))
    return found


def _comment_above(lines: list[str], lineno: int) -> list[str]:
    """The comment lines right above line ``lineno`` (1-based), nearest last."""
    above: list[str] = []
    for line in reversed(lines[: lineno - 1]):
        if not line.strip().startswith("#"):
            break
        above.insert(0, line)
    return above


def test_a_plain_transaction_says_why_it_is_not_durable():
    # A helper runs in its caller's transaction; a public service opens a durable one. A plain
    # atomic() is a savepoint inside the caller's (a lost creation race must not undo it) or a
    # block that runs both alone and inside a caller's; either way the line says which.
    found = plain_blocks_without_a_reason()
    assert found == set(), (
        "make these transaction.atomic(durable=True), or say why not on the line or the line"
        f" above ({' / '.join(MARKERS)}):\n"
        + "\n".join(f"{path}:{line}" for path, line in sorted(found))
    )
