"""Every GET page at 360 px, and the officer's forms one-handed at 390×844, in a real browser.

1. No page scrolls sideways at 360 px (issue 18). The pages are those test_untranslated_names.py
   reads: every GET route of the URL configuration, its ids filled from a district's year of the
   demo (an act, case, subject, segment, draft and device of the officer zhangwei, and the first
   row of each kind in DEMO_PAGES and DEMO_PAGES_WITH_KWARGS), plus what the year has none of,
   made through the services as there (a hold, a disposal, an extraction's note, a party copy, a
   witnessed log, a redacted copy). Each page is measured once, for the first of the demo's people
   (ROLES, in the order of test_navigation_browser.py) who gets it as an HTML page: its natural
   user. Files, PDFs and feeds for machines are not pages.
2. One-handed on a phone (390×844): on the act page, the upload page, the document signing page
   and the registration form every button, link styled as a button, input and select is at least
   44×44 CSS px (inline text links in prose: 24×24, WCAG 2.2 2.5.8; see docs/navigation.md), and
   the primary action lies within the screen's width.

The list of pages is made inside the server's installation (``manage.py shell``, prepare()), with
Django's test client, so that the browser visits each page once. One server, one browser.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from .live import (
    CHROMIUM,
    PASSWORD,
    chromium_browser,
    manage,
    new_context,
    prepared_env,
    running_server,
)
from .test_navigation_browser import PHONE, ROLES, WIDE_ELEMENTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_clock("chromium and the runserver subprocess keep the machine's clock"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]
HAND = {"width": 390, "height": 844}
# Routes not visited: logging out ends the session the other pages need.
SKIP = {"logout"}
# Forms started from an act's page (``?act=``).
FROM_AN_ACT = {
    "access:request_new",
    "extraction:extraction_new",
    "extraction:provision_new",
    "retention:hold_new",
}


def prepare() -> None:
    """Run in the server's installation (manage.py shell): make what the year has none of, then
    print the pages as JSON: {"pages": [[path, username], …], "forms": {name: [path, user]}}."""
    from django.urls import reverse
    from django.utils import timezone

    from quancheng.cases.models import Act, Case
    from quancheng.documents.models import DocumentDraft, DocumentType
    from quancheng.documents.services import create_draft
    from quancheng.orgs import capabilities as caps
    from quancheng.orgs.models import Device, User
    from quancheng.records.models import Segment
    from quancheng.web.tests import test_untranslated_names as names

    names._hold_and_disposal(timezone.localdate() + dt.timedelta(days=11 * 366))
    names._extraction_with_its_note()
    names._party_copy_witness_and_redaction()

    officer = User.objects.get(username=ROLES["officer"])
    # The act the officer works on: recorded, still open for documents (not sealed away).
    recorded = Segment.objects.filter(act__isnull=False).values("act_id")
    record = DocumentType.objects.get(name="现场笔录")
    first_act = next(
        act
        for act in Act.objects.filter(officers=officer, pk__in=recorded).order_by("-pk")
        if record.allows(act.kind) and caps.can(officer, caps.DRAFT_EDIT, act)
    )
    # A draft waiting for signatures (the year's drafts are all finalised): the signing page.
    unsigned = create_draft(officer, first_act, record, {"findings": "未见异常。"})

    class World:
        """The matrix's world, filled from the demo year: what the officer works on."""

        act = first_act
        subject = first_act.subject
        case = Case.objects.filter(officers=officer).order_by("pk").first()
        segment = Segment.objects.filter(act=first_act).order_by("pk").first()
        draft = DocumentDraft.objects.filter(act__officers=officer).order_by("pk").first()
        device = Device.objects.filter(agency=officer.agency).order_by("pk").first()

        def object_for(self, name, param):
            from quancheng.web.tests.matrix_world import World as MatrixWorld

            return MatrixWorld.object_for(self, name, param)  # type: ignore[arg-type]

    pages, unread = _readers(_paths(World(), first_act))

    unregistered = Act.objects.filter(
        agency=officer.agency, registration__isnull=True, pk__in=recorded
    ).order_by("pk")
    forms = {
        "act": [first_act.get_absolute_url(), ROLES["officer"]],
        "upload": [reverse("act_upload", kwargs={"act_id": first_act.pk}), ROLES["officer"]],
        "sign": [reverse("documents:draft_sign", kwargs={"pk": unsigned.pk}), officer.username],
        # The registration form is the custodian's panel on the act's page.
        "register": [unregistered[0].get_absolute_url(), ROLES["custodian"]],
    }
    print(json.dumps({"pages": pages, "forms": forms, "unread": unread}))


def _paths(world, first_act) -> dict[str, str]:
    """Every GET page's path (its ids filled from the demo year) → its route name."""
    from django.urls import reverse

    from quancheng.web.tests import test_untranslated_names as names
    from quancheng.web.tests.test_authorization_matrix import concrete, walk

    paths: dict[str, str] = {}
    for route, name in walk():
        if route.startswith("api/") or name.startswith("admin:") or name in SKIP:
            continue
        if name in names.NOT_READ:
            continue
        path, _ = concrete(world, route, name)  # type: ignore[arg-type]
        if path is not None and "999999999" not in path:
            paths[path] = name
    for path, name in list(paths.items()):
        if name in FROM_AN_ACT:
            del paths[path]
            paths[f"{path}?act={first_act.pk}"] = name
    for name, label in names.DEMO_PAGES.items():
        label, filters = label if isinstance(label, tuple) else (label, {})
        obj = names._first(label, **filters)
        if obj is not None:
            paths[reverse(name, kwargs={"pk": obj.pk})] = name
    for name, kwargs in names.DEMO_PAGES_WITH_KWARGS.items():
        if (filled := kwargs()) is not None:
            paths[reverse(name.split()[0], kwargs=filled)] = name

    return paths


def _readers(paths: dict[str, str]) -> tuple[list[list[str]], list[str]]:
    """Each page with the first of ROLES who gets it as HTML; and the paths nobody does (files,
    POST-only routes), with their answers."""
    from django.test import Client

    from quancheng.orgs.models import User

    clients = {}
    for username in ROLES.values():
        clients[username] = Client(HTTP_HOST="127.0.0.1")
        clients[username].force_login(User.objects.get(username=username))
    pages, unread = [], []
    for path in sorted(paths):
        answers = []
        for username, client in clients.items():
            response = client.get(path)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                pages.append([path, username])
                break
            answers.append(f"{response.status_code} {response.get('Content-Type', '')[:15]}")
        else:
            unread.append(f"{paths[path]} {path}: {sorted(set(answers))}")

    return pages, unread


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = prepared_env(var, demo=("--acts", "16"))
    script = "from quancheng.web.tests.test_every_page_browser import prepare; prepare()"
    out = manage(env, "shell", "-c", script)
    found = json.loads(out.strip().splitlines()[-1])
    with running_server(env, var) as url:
        yield {"url": url, **found}


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as browser:
        yield browser


def _log_in(browser, url: str, username: str, viewport: dict):
    context = new_context(browser, viewport=viewport)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/")
    return context, page


def test_every_page_fits_a_small_phone(server, browser):
    url = server["url"]
    by_user: dict[str, list[str]] = {}
    for path, username in server["pages"]:
        by_user.setdefault(username, []).append(path)
    # The pages the demo year fills, for the people who read them: more than the menus.
    assert len(server["pages"]) > 60, server
    failures = []
    for username, paths in by_user.items():
        context, page = _log_in(browser, url, username, PHONE)
        try:
            for path in paths:
                response = page.goto(f"{url}{path}")
                assert response is not None and response.status == 200, (path, username)
                scroll, inner = page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    failures.append((path, username, scroll, page.evaluate(WIDE_ELEMENTS)))
        finally:
            context.close()
    assert failures == [], "pages wider than 360 px:\n" + "\n".join(map(str, failures))


# Every target a thumb taps, with its size and whether it is an inline link in running text.
TARGETS = """() => {
  const selector = 'main button, main .btn, main input:not([type=hidden]), main select, ' +
    'main textarea, main summary, main a[href]';
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    // A chart's parts (the act's timeline): each is also a row of the records list below it
    // with its own buttons (WCAG 2.5.8's "equivalent" exception).
    if (el.closest('svg')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    let r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    // A checkbox or radio inside its label: the label is the target.
    const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
    if ((el.type === 'checkbox' || el.type === 'radio') && label) {
      r = label.getBoundingClientRect();
    }
    const inline = el.tagName === 'A' && !el.classList.contains('btn') &&
      style.display === 'inline';
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.name ? '[name=' + el.name + ']' : '') + ' "' +
      (el.textContent || el.value || '').trim().slice(0, 20) + '"';
    out.push({name, inline, width: r.width, height: r.height, right: r.right + window.scrollX});
  }
  return out;
}"""


@pytest.mark.parametrize("form", ["act", "upload", "sign", "register"])
def test_the_officers_forms_are_usable_one_handed(server, browser, form):
    url = server["url"]
    path, username = server["forms"][form]
    context, page = _log_in(browser, url, username, HAND)
    try:
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 200, (path, username)
        small = []
        for target in page.evaluate(TARGETS):
            least = 24 if target["inline"] else 44
            if target["width"] < least - 0.5 or target["height"] < least - 0.5:
                small.append(target)
        assert small == [], f"{form} ({path}): targets under 44×44 (24×24 inline): {small}"

        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= HAND["width"], (form, scroll)
        primary = page.locator("main .btn-primary").first
        if form != "act" or primary.count():
            box = primary.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= HAND["width"]
    finally:
        context.close()


def test_the_forms_are_the_pages_asked_for(server):
    forms = server["forms"]
    assert re.match(r"^/acts/\d+/$", forms["act"][0])
    assert forms["upload"][0].endswith("/upload/")
    assert forms["sign"][0].endswith("/sign/")
    assert re.match(r"^/acts/\d+/$", forms["register"][0])
