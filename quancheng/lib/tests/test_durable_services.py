"""Issue 17 point 3: every public service that writes a ledger event opens its own durable
transaction, or says that it runs inside its caller's (``require_own_transaction``).

The source is read (an AST walk): a module-level public function outside the page and API layers,
admin, commands and migrations that calls ``record_event`` or ``record_sequenced_event`` must
contain ``durable=True`` or call ``require_own_transaction``. NOT_YET lists the functions that do
neither today (docs/transactions.md, "Status", says what each kind needs). The list only shrinks:
a new function that breaks the rule fails, and so does a listed one that has come to keep it
(take it off the list).
"""

import ast
from pathlib import Path

import quancheng

PACKAGE = Path(quancheng.__file__).parent
SKIPPED_DIRS = {"tests", "migrations", "management", "scenarios", "tests_deploy", "api", "web"}
SKIPPED_FILES = {"conftest.py", "apps.py", "admin.py"}
WRITERS = {"record_event", "record_sequenced_event"}

NOT_YET = {
    ("access/enforce.py", "record_denial"),
    ("access/enforce.py", "viewed_data_records"),
    ("access/package.py", "mark_failed"),
    ("access/redaction.py", "mark_failed"),
    ("alerts/services.py", "close_alerts_for"),
    ("alerts/services.py", "raise_alert"),
    ("archive/config.py", "reclassify_dossiers"),
    ("archive/disposal.py", "decide_disposal"),
    ("archive/disposal.py", "dispose_item"),
    ("archive/fourchecks.py", "check_dossier"),
    ("archive/holds.py", "queue_offline_copies"),
    ("archive/longterm.py", "waive_longterm"),
    ("archive/transfer.py", "mark_failed"),
    ("documents/certificates.py", "store_certificate"),
    ("documents/certificates.py", "trust_root"),
    ("documents/sm2sign.py", "record_signature"),
    ("documents/validation.py", "record_check"),
    ("fixity/checks.py", "record_check"),
    ("fixity/sweep.py", "claim_sweep"),
    ("ledger/bundle.py", "make_ledger_bundle"),
    ("ledger/checkpoints.py", "make_checkpoint"),
    ("ledger/keys.py", "rotate"),
    ("ledger/services.py", "record_sequenced_event"),
    ("ledger/verify.py", "record_verification"),
    ("witness/witnessing.py", "register_log"),
}


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


def test_no_new_service_writes_outside_a_durable_transaction():
    new = services_writing_outside_a_durable_transaction() - NOT_YET
    assert new == set(), (
        "open a durable transaction (transaction.atomic(durable=True)) in these, or call"
        " require_own_transaction when they run inside the caller's (docs/transactions.md):\n"
        + "\n".join(f"{path}: {name}" for path, name in sorted(new))
    )


def test_the_not_yet_list_only_shrinks():
    kept = NOT_YET - services_writing_outside_a_durable_transaction()
    assert kept == set(), "these keep the rule now; take them off NOT_YET: " + ", ".join(
        f"{path}: {name}" for path, name in sorted(kept)
    )
