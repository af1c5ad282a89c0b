"""Property-based fuzzing of the API against its own OpenAPI document (Schemathesis).

For every operation, Schemathesis generates requests from the published schema (valid ones and
invalid ones) and sends them in-process through the WSGI application, once with a city
administrator's token and once with an officer's. No answer may be a server error, and every
answer must match the schema the document publishes for its status. The budget is fixed
(FUZZ_EXAMPLES per operation, mode and person) and the examples are derandomised, so the test
does the same work on every run and machine (docs/testing.md).
"""

from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from quancheng.api.urls import api

FUZZ_EXAMPLES = 4
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture
def schema():
    """The published document, answered in-process by the WSGI application.

    As Django's test client does, the requests keep the test's database connection: Django
    closes "old" connections at every request start, which would end the test's transaction.
    """
    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema())
    loaded.app = WSGIHandler()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield loaded
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _fuzz(operation, mode, headers, statuses: Counter):
    @hypothesis.settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance], headers=headers
        )

    run()


@pytest.mark.parametrize("person", ["city_admin", "officer"])
def test_no_server_error_and_no_schema_violation(schema, person, request, api_as, act, case):
    user = request.getfixturevalue(person)
    failures = []
    statuses = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            # A fresh token each time: POST /me/token/rotate revokes the one it is called with.
            headers = {"Authorization": f"Bearer {api_as(user).secret}"}
            try:
                _fuzz(operation, mode, headers, statuses)
            except Exception as e:
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {e}")
    assert failures == [], "\n\n".join(failures)
    # The requests reached the API (not the login redirect of the pages) and some succeeded.
    by_class = Counter()
    for status, n in statuses.items():
        by_class[status // 100] += n
    assert by_class[3] == 0 and by_class[2] >= 50, statuses
