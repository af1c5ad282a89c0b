"""三员分立 over every route (issue 19 point 3, docs/security.md): no administrator reads record
content by any content route (segment, document PDF, data record, the act's timeline, an
extraction and its package, the API's), and the audit administrator changes nothing by ANY
route: every URL pattern of the site, the admin site and the API is tried with every changing
method, and the database is the same afterwards."""

import re
import secrets

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from quancheng.access.extraction import request_extraction
from quancheng.ledger.models import Event
from quancheng.orgs.models import ApiToken

pytestmark = pytest.mark.django_db

# What a refused or unknown request may still write: the refusal itself (access.denied, a 403
# is logged and may raise an alert), nothing else.
REFUSALS = ("access.denied", "alert.raised", "alert.repeated", "witness.refused")
# Their own session: signing out (and the test signing them in again).
OWN_SESSION = ("auth.login", "auth.logout")
# One's own credentials and session are not the platform's state: rotating one's own API token
# (which would also end the token this test uses) and signing out are left out.
OWN_CREDENTIALS = ("/api/v1/me/token/rotate",)


@pytest.fixture
def extraction(officer, segment):
    return request_extraction(
        officer,
        purpose="行政复议答复需要",
        act=segment.act,
        items=[{"kind": "segment", "id": segment.pk}],
    )


@pytest.fixture
def content(segment, document, data_record, act, extraction):
    return {
        "segment_detail": segment,
        "segment_media": segment,
        "segment_thumbnail": segment,
        "segment_download": segment,
        "document_detail": document,
        "document_file": document,
        "document_download": document,
        "documents:document_sm2_signature": document,
        "datarecord_detail": data_record,
        "act_detail": act,  # the act's page: its timeline of records
        "extraction:extraction_detail": extraction,
        "extraction:extraction_download": extraction,
        "extraction:extraction_note": extraction,
    }


def api_client(user) -> tuple[Client, dict]:
    secret = f"qc_test-{user.username}-{secrets.token_urlsafe(8)}"
    ApiToken.objects.create(
        name="测试终端", user=user, token_hash=ApiToken.hash_secret(secret), prefix=secret[:10],
        created_by=user,
    )  # fmt: skip
    return Client(), {"Authorization": f"Bearer {secret}"}


def test_no_administrator_reads_content_by_any_content_route(
    client, content, segment, document, act, extraction, system_admin, security_admin, audit_admin
):
    api_reads = [
        f"/api/v1/acts/{act.pk}/records",  # the act's records (its page's list)
        f"/api/v1/documents/{document.pk}/scan-reading",
        f"/api/v1/extractions/{extraction.pk}",
        f"/api/v1/extractions/{extraction.pk}/package",
    ]
    for admin in (system_admin, security_admin, audit_admin):
        client.force_login(admin)
        for name, obj in content.items():
            response = client.get(reverse(name, args=[obj.pk]))
            assert response.status_code in (403, 404), (admin.role, name, response.status_code)
            assert segment.blob_id not in response.content.decode(errors="replace")
        api, headers = api_client(admin)
        for url in api_reads:
            response = api.get(url, headers=headers)
            assert response.status_code in (401, 403, 404), (admin.role, url, response.status_code)


def test_no_list_leads_an_administrator_to_an_acts_page(
    client, act, officer, system_admin, security_admin, audit_admin
):
    """The acts list shows an administrator the acts (organisation data) but no link to the
    act's page, which they may not open."""
    act_page = reverse("act_detail", args=[act.pk])
    client.force_login(officer)
    assert act_page in client.get(reverse("act_list")).content.decode()
    for admin in (system_admin, security_admin, audit_admin):
        client.force_login(admin)
        response = client.get(reverse("act_list"))
        if response.status_code == 200:
            assert act_page not in response.content.decode(), admin.role


def _routes(resolver=None, namespace="", out=None):
    """(full name, parameter names) of every named URL pattern."""
    resolver = resolver or get_resolver()
    out = [] if out is None else out
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            _routes(entry, f"{namespace}{ns}:" if ns else namespace, out)
        elif isinstance(entry, URLPattern) and entry.name:
            pattern = entry.pattern
            params = list(getattr(pattern, "converters", {}) or {}) or list(
                re.compile(str(pattern.regex.pattern)).groupindex
            )
            out.append((namespace + entry.name, params))
    return out


def _urls(pks: list[int]) -> set[str]:
    urls = set()
    for name, params in _routes():
        if name == "admin:view_on_site":  # a redirect to an object's page, changes nothing
            continue
        for pk in pks:
            kwargs = {p: str(pk) for p in params}
            try:
                urls.add(reverse(name, kwargs=kwargs))
            except Exception:
                for value in ("orgs", "user", "device", "x"):
                    try:
                        urls.add(reverse(name, kwargs=dict.fromkeys(params, value)))
                    except Exception:  # noqa: S112
                        continue
            if not params:
                break
    return urls


def _state() -> dict[str, int]:
    """Rows per model, and the ledger without refusals: every change is a ledger event."""
    rows = {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}
    rows.pop("sessions.Session", None)
    rows.pop("ledger.Event", None)
    rows.pop("ledger.StagedEvent", None)
    rows.pop("alerts.Alert", None)
    rows = {k: v for k, v in rows.items() if not k.startswith("axes.")}
    rows.pop("ledger.SubtreeHash", None)  # the tree grows with the refusals' events
    rows["events"] = Event.objects.exclude(action__in=REFUSALS + OWN_SESSION).count()
    return rows


def test_the_audit_administrator_changes_nothing_by_any_route(
    client, content, officer, agency, act, segment, document, extraction, audit_admin
):
    pks = sorted({act.pk, segment.pk, document.pk, extraction.pk, officer.pk, agency.pk})
    urls = _urls(pks)
    assert len(urls) > 200  # the site, the admin site and the API
    client.force_login(audit_admin)
    client.raise_request_exception = False  # a 500 is counted as refused, below
    api, headers = api_client(audit_admin)
    api.raise_request_exception = False
    before = _state()
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    officer_row = type(officer).objects.values().get(pk=officer.pk)
    accepted = []
    for url in sorted(urls - set(OWN_CREDENTIALS)):
        if url.startswith("/api/"):
            calls = [
                getattr(api, method)(url, {}, content_type="application/json", headers=headers)
                for method in ("post", "put", "patch", "delete")
            ]
        else:
            calls = [client.post(url, {"role": "head", "confirm": "x", "note": "改"})]
        for response in calls:
            if response.status_code < 400 and url not in ("/logout/", "/accounts/logout/"):
                accepted.append((url, response.status_code))
        if url.endswith("logout/"):
            client.force_login(audit_admin)
    after = _state()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    written = list(
        Event.objects.filter(seq__gt=last_seq)
        .exclude(action__in=REFUSALS + OWN_SESSION)
        .values_list("action", "object_type", "body")
    )
    # Requests answered below 400 re-render a form or redirect (the admin site's history pages);
    # what proves "changes nothing" is the database: no row of any model, no ledger event.
    assert len(accepted) < len(urls)
    assert not changed and not written, f"changed {changed}\nwritten {written}"
    assert type(officer).objects.values().get(pk=officer.pk) == officer_row
