"""The authorization matrix (issue 15): generated from the URL configuration and the API.

1. Every route declares its capability (web/routes.py): a new route without one fails here.
2. Every route is tried by every role of DOMAIN.md, plus an officer of the same agency who is not
   on the act, an officer of another district, an anonymous client, a revoked and an expired API
   token: never a server error; another district's objects never answer 200; anonymous clients are
   sent to the login page (pages) or get 401 (API); and whoever the capability table refuses
   changes nothing: a refused POST leaves the ledger as it was (besides logging the refusal).
3. 三员分立 (docs/security.md): none of the three administrators opens record content, and the
   audit administrator changes nothing at all (every POST but logging out is refused).

One world is built per test (two tests: pages and API), shared by all the requests.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from quancheng.access.policy import VIEW, decide
from quancheng.ledger.models import Event
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import ApiToken, Role, api_token_expiry
from quancheng.web.routes import ROUTES, capability_of
from quancheng.web.tests.matrix_world import World

pytestmark = pytest.mark.django_db
MISSING = 999_999_999
FAILURES: list[str] = []
# Pages that cost seconds each and do not depend on the role: tried by one officer and by the
# anonymous client and the outsider only, to keep the matrix within CI's budget.
HEAVY = {"compliance:traceability", "api:openapi-json", "api:openapi-view", "statistics"}
LIGHT_CALLERS = {"officer", "outsider", "anonymous"}
# What a refusal may write: its own log line and the alert about it (A27).
REFUSAL_EVENTS = {"access.denied", "alert.raised", "auth.login_failed"}
ADMINISTRATORS = {"system_admin", "security_admin", "audit_admin"}


def walk(patterns=None, prefix=""):
    """(route, name) for every URL pattern, namespaces joined as Django reverses them."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            namespace = f"{p.namespace}:" if p.namespace else ""
            for route, name in walk(p.url_patterns, prefix + str(p.pattern)):
                yield route, namespace + name
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name or ""


def api_operations():
    """(method, path, route name) of every operation of the terminal API, from django-ninja."""
    from quancheng.api.urls import api

    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                name = f"api:{operation.view_func.__name__}"
                for method in operation.methods:
                    yield method, "/api/v1/" + (prefix + path).lstrip("/"), name


def test_every_route_declares_its_capability():
    routes = [*walk(), *((path, name) for _, path, name in api_operations())]
    undeclared = sorted(
        {f"{name or '(unnamed)'} {route}" for route, name in routes if not capability_of(name)}
    )
    assert not undeclared, "routes without a capability in web/routes.py: " + ", ".join(undeclared)
    known = set(caps.TABLE) | set(caps.GUARDS)
    declared = {c for v in ROUTES.values() for c in (v if isinstance(v, tuple) else (v,))}
    assert not declared - known
    names = {name for _, name in routes}
    assert not set(ROUTES) - names, "routes declared but gone: " + ", ".join(set(ROUTES) - names)


# --- the world -----------------------------------------------------------------------------


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def concrete(world: World, route: str, name: str):
    """The route with its parameters filled in, and the world object it is about (or None)."""
    if "(?P<" in route or "^" in route:
        if name != "witnessed_checkpoint":
            return None, None
        return f"/witness/{'0' * 64}/checkpoint", None
    subject = None

    def fill(match):
        nonlocal subject
        conv, param = match.group("conv"), match.group("name")
        if conv == "uuid":
            return str(uuid.uuid4())
        if conv in ("str", "slug", "path") or param in ("kind", "name", "fmt"):
            return "x"
        obj = world.object_for(name, param)
        if obj is not None and subject is None:
            subject = obj
        return str(obj.pk if obj is not None else MISSING)

    return "/" + PARAM.sub(fill, route), subject


def allowed(person, capability: str, obj) -> bool | None:
    """What the table (or the A24 policy) says, or None where the route decides alone."""
    if capability in caps.TABLE:
        about = caps.TABLE[capability].about
        if obj is not None and about and caps.label_of(obj) not in about:
            return None  # the route's object is not what the capability is about
        return caps.can(person, capability, obj)
    if capability == caps.CONTENT and obj is not None and hasattr(obj, "act_id"):
        return decide(person, obj, VIEW).allowed
    return None


def _routes(world, api: bool):
    for route, name in walk():
        in_api = route.startswith("api/")
        if name.startswith("admin:") or in_api != api:
            continue
        path, obj = concrete(world, route, name)
        if path is not None:
            yield name, path, obj


def _changes():
    return Event.objects.exclude(action__in=REFUSAL_EVENTS).count()


def _try(client, path, method, headers):
    call = client.get if method == "GET" else client.post
    before = _changes()
    response = call(path, headers=headers)
    return response, _changes() - before


def _check(world, name, path, obj, who, person, response, changed, method):
    where = f"{method} {path} ({name}) as {who}"
    assert response.status_code < 500, where
    capability = capability_of(name, method)
    if who in ADMINISTRATORS:
        _check_administrator(where, who, name, capability, response, changed, method)
    if who == "outsider" and obj is not None:
        # 422: the API validates the body before it looks the object up (nothing is revealed).
        assert response.status_code in (302, 400, 403, 404, 405, 422), where
    if person is None or capability in (caps.PUBLIC, caps.SIGNED_IN):
        return
    succeeded = response.status_code in (200, 201, 204) or changed > 0
    if succeeded and allowed(person, capability, obj) is False:
        FAILURES.append(f"{where}: {response.status_code} changed={changed}")


# What the audit administrator may still do: their own session and own API credential.
OWN_CREDENTIALS = {"logout", "api:post_token_rotation"}


def _check_administrator(where, who, name, capability, response, changed, method):
    """The three administrators never open record content; the audit administrator changes
    nothing (besides their own session and credential, and the public protocols)."""
    if capability == caps.CONTENT and response.status_code in (200, 206):
        FAILURES.append(f"{where}: an administrator opened record content")
    exempt = name in OWN_CREDENTIALS or capability == caps.PUBLIC
    if who == "audit_admin" and method not in ("GET", "HEAD") and not exempt and changed:
        FAILURES.append(f"{where}: the audit administrator changed something")


def test_every_page_route_for_every_role(world):
    for who, person in [*world.persons.items(), ("anonymous", None)]:
        client = Client()
        if person is not None:
            client.force_login(person)
        for name, path, obj in _routes(world, api=False):
            if name in HEAVY and who not in LIGHT_CALLERS:
                continue
            for method in ("GET", "POST"):
                response, changed = _try(client, path, method, {})
                _check(world, name, path, obj, who, person, response, changed, method)
                if person is None and capability_of(name, method) != caps.PUBLIC:
                    assert response.status_code in (302, 401, 403, 404, 405), path
                    if response.status_code == 302:
                        assert "/login/" in response["Location"], path


def _token(user, revoked=False, expired=False) -> str:
    secret = f"qc_matrix-{secrets.token_urlsafe(12)}"
    ApiToken.objects.create(
        name="矩阵测试",
        user=user,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=user,
        revoked_at=timezone.now() if revoked else None,
        expires_at=timezone.now() - dt.timedelta(minutes=1) if expired else api_token_expiry(),
    )
    return secret


API_PARAM = re.compile(r"\{(?P<name>\w+)\}")


def _api_calls(world):
    for method, path, name in api_operations():
        subject = None

        def fill(match, name=name):
            nonlocal subject
            obj = world.object_for(name, match.group("name"))
            subject = subject or obj
            return str(obj.pk if obj is not None else MISSING)

        yield method, API_PARAM.sub(fill, path), name, subject
    # The tus endpoints and the documents' own pages of the API.
    yield "POST", "/api/v1/uploads/", "records:uploads", None
    yield "GET", "/api/v1/openapi.json", "api:openapi-json", None


def test_every_api_route_for_every_role(world):
    callers = [(who, person, _token(person)) for who, person in world.persons.items()]
    callers += [
        ("anonymous", None, None),
        ("revoked token", None, _token(world.persons["officer"], revoked=True)),
        ("expired token", None, _token(world.persons["officer"], expired=True)),
    ]
    client = Client()
    # Rotating revokes the caller's token: last, so that it does not end the others' calls.
    calls = sorted(_api_calls(world), key=lambda call: call[2] == "api:post_token_rotation")
    for who, person, secret in callers:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        for method, path, name, obj in calls:
            if name in HEAVY and who not in LIGHT_CALLERS:
                continue
            call = getattr(client, method.lower())
            before = _changes()
            response = call(path, content_type="application/json", headers=headers)
            changed = _changes() - before
            _check(world, name, path, obj, who, person, response, changed, method)
            if person is None and capability_of(name, method) != caps.PUBLIC:
                assert response.status_code in (401, 404, 405), f"{method} {path} as {who}"


def test_the_roles_of_domain_md_are_all_tried():
    """The personas above cover every role (DOMAIN.md's actors) besides the uninvolved officer;
    the break-glass account has its own tests (orgs/tests/test_three_administrators.py)."""
    tried = {Role.OFFICER, Role.CUSTODIAN, Role.HEAD, Role.AUDITOR}
    tried |= {Role.DISTRICT_COMMISSION, Role.CITY_ADMIN}
    tried |= {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    assert tried | {Role.BREAK_GLASS} == set(Role)


def test_zz_report():
    print("\n".join(FAILURES))
    assert not FAILURES
