"""Named people for every test (healthchecks' alice/bob/charlie, in our domain).

- officer 张伟 and colleague 李娜: officers of 渝中区's enforcement agency, certificates valid;
- custodian 王芳 and head 刘洋 of the same agency; commission 陈静 of 渝中区's commission;
- outsider 周杰: an officer of 江北区, who must see nothing of 渝中区's data;
- city_admin 孙丽 and auditor 赵磊 (city corps): see the whole city;
- the three administrators (三员, no agency, staff): system_admin 钱进, security_admin 郑安,
  audit_admin 冯审.
"""

import contextlib
import datetime as dt
import os
import secrets

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from quancheng.api.tests.client import Api
from quancheng.lib import uscc
from quancheng.orgs.models import Agency, ApiToken, Role, User
from quancheng.orgs.seed import load_organisation

PASSWORD = "Test-password-2026"  # noqa: S105

# Fixtures shared by the tests of more than one app live in these modules, registered here once
# (never imported into a test module: an imported fixture is a second definition, and a second
# instance of a session fixture, e.g. a second SeaweedFS). A fixture shared within one app is in
# that app's tests/conftest.py. Modules and what they give:
pytest_plugins = [
    "quancheng.lib.blobstore.tests.seaweed",  # seaweedfs: one SeaweedFS for the session
    "quancheng.records.tests.media_fixtures",  # clips: short real media files (PyAV)
    "quancheng.redaction.tests.face_clips",  # face_clip: a clip with a face
    "quancheng.jobs.tests.instance",  # migrated_template: subprocess installations
    "quancheng.compliance.tests.scene",  # scene, clock: the rule tests' compliant act
    "quancheng.access.tests.extraction_setup",  # act_items, certified, produced, extraction_stores
]

# No wall-clock limits in tests (a shared, noisy machine): Hypothesis's per-example deadline and
# its "input generation is slow" health check are both timings.
hypothesis_settings.register_profile(
    "quancheng", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# scripts/test (and so CI) loads "ci": a bounded number of examples for the properties that do not
# set their own (Hypothesis's default is 100), and no example database (a fresh clone each run).
hypothesis_settings.register_profile(
    "ci", parent=hypothesis_settings.get_profile("quancheng"), max_examples=30, database=None
)
hypothesis_settings.load_profile(os.environ.get("QC_HYPOTHESIS_PROFILE") or "quancheng")


# QC_TEST_CLOCK runs the whole session on a moved clock that ticks on from a fixed instant: an ISO
# time ("2026-12-31T17:30:00+00:00"), or "HH:MM" for that UTC time on the machine's date (near the
# real date, so cookies and certificates made by other processes stay valid). 17:30 UTC is 01:30
# the next day in Beijing: a test that assumes the two dates agree fails at once. A test that talks
# to a process whose clock cannot be moved (a SeaweedFS server checks request signatures' times)
# is marked real_clock and runs on the machine's clock. docs/testing.md has the reasoning.
TEST_CLOCK = os.environ.get("QC_TEST_CLOCK", "")


def test_clock_destination(setting: str) -> dt.datetime:
    if len(setting) == 5 and setting[2] == ":":
        today = dt.datetime.now(dt.UTC).date()
        return dt.datetime.combine(today, dt.time.fromisoformat(setting), tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(setting)


def pytest_configure(config):
    if TEST_CLOCK:
        config._qc_clock = time_machine.travel(test_clock_destination(TEST_CLOCK), tick=True)
        config._qc_clock.start()


def pytest_unconfigure(config):
    if getattr(config, "_qc_clock", None):
        config._qc_clock.stop()


# The fixtures that give a test the database of the pass: pytest-django's, the live server, and
# the template of the subprocess instances (jobs/tests/instance.py: a PostgreSQL database beside
# the pass's when the pass runs on PostgreSQL).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "migrated_template",
}


def uses_the_database(item) -> bool:
    """Whether a test reaches the database of the pass (SQLite or PostgreSQL) in this process."""
    if item.get_closest_marker("django_db"):
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


# The database-independent tests run in one of the two passes of scripts/test: in the SQLite pass,
# except those of these modules, which run in the PostgreSQL pass so that the two passes end at
# about the same time (docs/testing.md, "What runs once": how to rebalance).
ONCE_IN_THE_POSTGRESQL_PASS: tuple[str, ...] = ()


def once_pass(item) -> str | None:
    """The one pass ("sqlite" or "postgresql") a database-independent test runs in; None for a
    test that runs in both."""
    if item.get_closest_marker("postgres"):
        return None  # tests_deploy and the PostgreSQL-only tests have their own rule
    if not (item.get_closest_marker("db_independent") or not uses_the_database(item)):
        return None
    path = item.nodeid.split("::")[0]
    return "postgresql" if path in ONCE_IN_THE_POSTGRESQL_PASS else "sqlite"


def pytest_collection_modifyitems(config, items):
    """The users of REAL_CLOCK_FIXTURES run on the machine's clock (real_clock).

    QC_TEST_ONCE names the pass (scripts/test sets it when both databases run: "sqlite" or
    "postgresql"): the tests whose result cannot depend on the database are skipped in the other
    pass than theirs (once_pass). They are those that never touch the pass's database (pure code,
    the blob stores, media, nginx and gunicorn or browsers in front of an installation of their
    own on SQLite) and those marked db_independent; docs/testing.md lists them and why. Decided
    at collection, so a module's expensive fixtures are never started for skipped tests."""
    for item in items:
        for fixture, reason in REAL_CLOCK_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.real_clock(reason))
    this_pass = os.environ.get("QC_TEST_ONCE", "")
    if this_pass not in ("sqlite", "postgresql"):
        return
    for item in items:
        other = once_pass(item)
        if other is not None and other != this_pass:
            reason = f"database-independent: runs in the {other} pass only"
            item.add_marker(pytest.mark.skip(reason=reason))


def machine_clock():
    """A block in which the time is the machine's again (it ticks on), when QC_TEST_CLOCK moved
    the session's; for fixtures that start a process keeping the machine's clock."""
    if not TEST_CLOCK:
        return contextlib.nullcontext()
    return time_machine.travel(time_machine.escape_hatch.time.time(), tick=True)


# Fixtures whose users talk to a process on the machine's clock where minutes matter: SeaweedFS
# refuses an S3 request signed more than 15 minutes off its own clock.
REAL_CLOCK_FIXTURES = {"seaweedfs": "SeaweedFS checks S3 request signatures against its clock"}


@pytest.fixture(autouse=True)
def _real_clock(request):
    if not (TEST_CLOCK and request.node.get_closest_marker("real_clock")):
        yield
        return
    with machine_clock():
        yield


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic first; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def organisation(db):
    load_organisation()


@pytest.fixture
def agency(organisation):
    return Agency.objects.get(code="d03-zf")  # 渝中区卫生健康综合行政执法支队


@pytest.fixture
def other_agency(organisation):
    return Agency.objects.get(code="d05-zf")  # 江北区卫生健康综合行政执法支队


def make_person(username, full_name, agency, role=Role.OFFICER, certificate=True, **extra):
    today = timezone.localdate()
    if certificate:
        extra.setdefault("certificate_number", f"渝卫执{username}")
        extra.setdefault("certificate_valid_from", today - dt.timedelta(days=365))
        extra.setdefault("certificate_valid_until", today + dt.timedelta(days=365))
    user = User(username=username, full_name=full_name, agency=agency, role=role, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def officer(agency):
    return make_person("zhangwei", "张伟", agency)


@pytest.fixture
def colleague(agency):
    return make_person("lina", "李娜", agency)


@pytest.fixture
def custodian(agency):
    return make_person("wangfang", "王芳", agency, Role.CUSTODIAN, certificate=False)


@pytest.fixture
def head(agency):
    return make_person("liuyang", "刘洋", agency, Role.HEAD)


@pytest.fixture
def commission(organisation):
    return make_person(
        "chenjing",
        "陈静",
        Agency.objects.get(code="d03-wjw"),
        Role.DISTRICT_COMMISSION,
        certificate=False,
    )


@pytest.fixture
def outsider(other_agency):
    return make_person("zhoujie", "周杰", other_agency)


@pytest.fixture
def outsider_colleague(other_agency):
    return make_person("wuhao", "吴昊", other_agency)


@pytest.fixture
def city_admin(organisation):
    return make_person(
        "sunli", "孙丽", Agency.objects.get(code="cq-wjw"), Role.CITY_ADMIN, certificate=False
    )


@pytest.fixture
def system_admin(organisation):
    return make_person("qianjin", "钱进", None, Role.SYSTEM_ADMIN, certificate=False, is_staff=True)


@pytest.fixture
def security_admin(organisation):
    return make_person(
        "zhengan", "郑安", None, Role.SECURITY_ADMIN, certificate=False, is_staff=True
    )


@pytest.fixture
def audit_admin(organisation):
    return make_person("fengshen", "冯审", None, Role.AUDIT_ADMIN, certificate=False, is_staff=True)


@pytest.fixture
def auditor(organisation):
    return make_person(
        "zhaolei", "赵磊", Agency.objects.get(code="cq-zfzd"), Role.AUDITOR, certificate=False
    )


def credit_code(serial: int) -> str:
    """A valid unified social credit code for tests."""
    return uscc.complete(f"91500103MA{serial:07d}")


@pytest.fixture
def subject(officer, agency):
    from quancheng.subjects.services import create_subject

    return create_subject(
        officer,
        agency,
        name="重庆市渝中区解放碑口腔诊所",
        kind="medical",
        address="渝中区邹容路100号",
        credit_code=credit_code(1),
    )


@pytest.fixture
def other_subject(outsider, other_agency):
    from quancheng.subjects.services import create_subject

    return create_subject(
        outsider,
        other_agency,
        name="重庆江北观音桥酒店",
        kind="public_place",
        address="江北区观音桥步行街1号",
        credit_code=credit_code(2),
    )


@pytest.fixture
def act(officer, colleague, agency, subject):
    from quancheng.cases.services import create_act

    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    return create_act(
        officer,
        agency,
        [officer, colleague],
        kind="inspection",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=45),
        place=subject.address,
        subject=subject,
    )


@pytest.fixture
def case(officer, colleague, agency, subject):
    from quancheng.cases.services import create_case

    return create_case(
        officer,
        agency,
        [officer, colleague],
        number="渝中卫医罚〔2026〕1号",
        cause="未取得医疗机构执业许可证擅自执业",
        subject=subject,
        filed_on=timezone.localdate(),
    )


@pytest.fixture
def api_as(db):
    """api_as(user) → an Api client (api/tests/client.py) with a fresh token of that user."""

    def make(user, device=None):
        # Straight to the table, not through issue_api_token: the token is test set-up and must
        # not add a ledger event to the counts a test compares.
        secret = f"qc_test-{user.username}-{secrets.token_urlsafe(8)}"
        ApiToken.objects.create(
            name=f"{user.username} 测试终端",
            user=user,
            device=device,
            token_hash=ApiToken.hash_secret(secret),
            prefix=secret[:10],
            created_by=user,
        )
        return Api(secret)

    return make
