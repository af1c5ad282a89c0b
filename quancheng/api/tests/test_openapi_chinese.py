"""The API's documentation reads in Chinese (issue 18): every operation has a Chinese summary
(not django-ninja's "List Document Types" made from the function's name), and its description,
when it has one, is Chinese too. Codes in backticks (error codes, parameters) are codes."""

import re

from quancheng.api.urls import api
from quancheng.web.tests.untranslated import untranslated

CHINESE = re.compile(r"[\u4e00-\u9fff]")
BACKTICKED = re.compile(r"`[^`]*`")


def test_every_operation_is_summarised_and_described_in_chinese():
    schema = api.get_openapi_schema()
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            summary = operation.get("summary", "")
            if not CHINESE.search(summary) or untranslated(BACKTICKED.sub(" ", summary)):
                problems.append(f"{where}: summary {summary!r}")
            description = operation.get("description", "")
            if description and (
                not CHINESE.search(description.splitlines()[0])
                or untranslated(BACKTICKED.sub(" ", description))
            ):
                problems.append(f"{where}: description {description[:60]!r}")
    assert not problems, "\n".join(problems)
