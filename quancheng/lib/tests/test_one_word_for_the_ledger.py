"""docs/glossary.md: one word per concept. The hash-linked log is 账本 on every page and in every
message; 台账 names only registers that are lists of records (对外提供登记台账) and the DA/T 48
element 台账证据包, whose name the package format fixes."""

import re
from pathlib import Path

import quancheng

PACKAGE = Path(quancheng.__file__).parent
ALLOWED = re.compile(r"登记台账|台账证据包")


def test_the_ledger_is_never_called_taizhang():
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.suffix not in {".py", ".html", ".txt", ".js"} or {"tests", "migrations"} & set(
            rel.parts
        ):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "台账" in ALLOWED.sub("", line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], "say 账本 for the ledger (docs/glossary.md):\n" + "\n".join(found)
