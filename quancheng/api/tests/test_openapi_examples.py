"""The OpenAPI document says what the endpoints accept.

Every request body the document publishes, filled in as its schema describes it (documented
examples and defaults first), is accepted by the endpoint: no 422. A schema name shared by two
different request shapes publishes one of them for both (issue 15: three `DecisionIn`).
"""

import json

import pytest
from django.test import Client

SAMPLES = {
    "date-time": "2026-03-01T09:30:00+08:00",
    "date": "2026-03-01",
    "uuid": "00000000-0000-4000-8000-000000000001",
}


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example(doc, schema):
    """A value as the schema documents it: its example, default, or the simplest valid value."""
    schema = _resolve(doc, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "anyOf" in schema:
        return example(doc, next(s for s in schema["anyOf"] if s.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example(doc, props[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(doc, schema["items"])] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "string":
        return SAMPLES.get(schema.get("format"), "示例" * max(1, schema.get("minLength", 0)))
    assert kind is None, f"no example for {schema}"
    return {}  # any JSON value


@pytest.fixture
def doc(officer):
    client = Client()
    client.force_login(officer)
    return client.get("/api/v1/openapi.json").json()


def _bodies(doc):
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                yield method, _filled(doc, path, operation), example(doc, schema)


def _filled(doc, path: str, operation) -> str:
    """The path with each parameter set to its documented example (ids: 1)."""
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = example(doc, param["schema"])
            path = path.replace("{" + param["name"] + "}", str(value))
    return path


def test_request_schema_names_are_unique(doc):
    from quancheng.api.urls import api

    seen: dict[str, type] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    for field in model.model_fields.values():
                        shape = field.annotation
                        if isinstance(shape, type) and hasattr(shape, "model_json_schema"):
                            other = seen.setdefault(shape.__name__, shape)
                            assert other is shape, f"two request schemas named {shape.__name__}"


def test_every_documented_body_is_accepted(doc, head, api_as):
    """A 404 (nothing has id 1) or a refusal by a rule is fine; a 422 means the document lies."""
    api = api_as(head)
    bodies = list(_bodies(doc))
    assert len(bodies) > 20
    refused = []
    for method, path, body in bodies:
        response = api.client.generic(
            method.upper(),
            path,
            json.dumps(body),
            content_type="application/json",
            headers=api._headers(),
        )
        if response.status_code == 422:
            refused.append((method, path, body, response.json()))
    assert refused == []
