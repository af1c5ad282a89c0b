"""Each role's day in a real browser (Debian's chromium), on the demo year of one district.

- the officer, on a phone (390×844): registers an act, uploads a real MP4, drafts its document,
  signs it (both officers and the party) and finalises it; the act page then shows it;
- the records custodian: the registration list → registers an act → assembles its dossier →
  seals it (封卷归档);
- the agency head: the approvals inbox → approves an access request → sees it approved;
- the legal auditor: draws a spot check → scores the sample → issues the report (通报);
- the city administrator: the statistics → the district evaluations → one evaluation.

Every page of every journey is checked with axe-core (serious and critical violations fail) and
photographed at 390 and 1366 px (journeys.py: ``QC_SCREENSHOT_DIR``). Pages are reached as
people reach them, by the Chinese text of links and buttons; a journey may start from its start
page's address. One server (migrate, ``seed_demo --acts 16``) and one browser for the module.
"""

import pytest

from .journeys import PHONE, Journey, draw_signature
from .live import CHROMIUM, CHROMIUM_ARGS, manage, prepared_env, running_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.real_clock("a live server and chromium run in processes of their own"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium, /usr/bin/chromium"),
]

# An inspection that ended two hours ago, with everything the regulation asks of the officers
# (a recording over the whole inspection with its markers, a scanned 现场笔录, the electronic
# data), made through the services as a terminal would: only its registration is missing. The
# custodian's journey registers it (the checklist then empty) and archives it.
FINISHED_INSPECTION = """
import datetime as dt
from django.db import transaction
from django.utils import timezone
from quancheng.cases.services import create_act
from quancheng.compliance.services import add_marker
from quancheng.demo import media
from quancheng.orgs.models import Device, User
from quancheng.records.items import create_data_record, create_document, create_segment
from quancheng.records.models import DataKind
from quancheng.subjects.models import Subject
officer, colleague = User.objects.get(username="zhangwei"), User.objects.get(username="lina")
subject = Subject.objects.filter(agency=officer.agency).order_by("pk").first()
camera = Device.objects.filter(agency=officer.agency, kind="body_camera").order_by("pk").first()
end = timezone.now() - dt.timedelta(hours=2)
start = end - dt.timedelta(minutes=40)
with transaction.atomic():
    act = create_act(officer, officer.agency, [officer, colleague], kind="inspection",
        started_at=start, ended_at=end, place=subject.address, subject=subject,
        description="旅程测试：待登记归档的检查")
    segment = create_segment(officer, agency=act.agency,
        blob=media.segment_blob(act.agency, "journey"),
        source="upload", act=act, started_at=start, ended_at=end, officer=officer,
        device=camera, duration_seconds=2400.0, container="mp4", video_codec="h264",
        original_filename="DSJ-JOURNEY.mp4", content_type="video/mp4")
    create_document(officer, agency=act.agency,
        blob=media.store(media.document_pdf(), act.agency), source="upload", act=act,
        file_kind="pdf", doc_type="现场笔录", written_started_at=start, written_ended_at=end,
        original_filename="现场笔录.pdf", content_type="application/pdf")
    create_data_record(officer, agency=act.agency,
        kind=DataKind.objects.get(code="inspection-checklist"),
        data={"checklist": "公共场所监督检查表", "conclusion": "未发现违法行为",
              "items": [{"code": "1", "item": "证照是否齐全有效", "result": "符合"}]},
        recorded_at=end - dt.timedelta(minutes=5), source="api", act=act)
    for offset, kind in ((5, "arrival_door"), (20, "identity_stated"), (25, "certificate_shown"),
                         (2300, "party_signing"), (2390, "door_at_end")):
        add_marker(officer, segment, kind, offset)
print(act.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("journeys")
    env = prepared_env(var, demo=("--acts", "16"))
    act_id = int(manage(env, "shell", "-c", FINISHED_INSPECTION).strip().splitlines()[-1])
    with running_server(env, var) as url:
        yield {"url": url, "var": var, "finished_act": act_id}


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _journey(browser, server, name, viewport):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
    return context, Journey(context.new_page(), server["url"], name)


# The deliberation of the officer's journey: five minutes that ended five minutes ago.
ACT_MINUTES = 5


@pytest.fixture
def act_times():
    """Its start and end (Beijing time, whole minutes, as the form takes them)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)
    end = now - dt.timedelta(minutes=5)
    return end - dt.timedelta(minutes=ACT_MINUTES), end


@pytest.fixture
def clip(tmp_path, act_times):
    """The body camera's recording of the whole deliberation: a real MP4 whose container
    carries its start (creation_time, as cameras write it), one frame a second."""
    import datetime as dt

    import av

    start, end = act_times
    path = tmp_path / "DSJ-0001_现场执法.mp4"
    with av.open(str(path), "w") as out:
        stamp = start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        out.metadata["creation_time"] = stamp
        video = out.add_stream("libx264", rate=1)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for i in range(int((end - start).total_seconds()) + 1):
            frame = av.VideoFrame(64, 48, "rgb24")
            frame.planes[0].update(bytes([i * 7 % 256]) * frame.planes[0].buffer_size)
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    return path


def test_the_officer_records_an_act_on_a_phone(browser, server, clip, act_times):
    from playwright.sync_api import expect

    context, j = _journey(browser, server, "officer", PHONE)
    page = j.page
    j.login("zhangwei")
    j.step("home")

    # 1. A deliberation (合议) of the two officers, registered from the act list.
    page.goto(f"{j.url}/acts/")
    j.step("acts")
    page.get_by_role("link", name="登记执法行为").click()
    j.step("act-form")
    page.get_by_label("类型", exact=True).select_option("deliberation")
    subject = page.get_by_label("执法对象", exact=True)
    subject.select_option(index=1)
    page.get_by_label("地点", exact=True).fill("渝中区民权路1号 执法支队合议室")
    start, end = act_times
    page.get_by_label("开始时间").fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("结束时间").fill(f"{end:%Y-%m-%dT%H:%M}")
    page.get_by_label("张伟（渝卫执").check()
    page.get_by_label("李娜（渝卫执").check()
    page.get_by_label("说明").fill("案件合议")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message-success")).to_contain_text("已登记执法行为")
    act_url = page.url
    j.step("act")

    # 2. The recording of the deliberation, uploaded from the phone.
    page.get_by_role("link", name="上传记录").first.click()
    j.step("upload")
    page.locator("#upload-files").set_input_files(str(clip))
    page.get_by_role("button", name="开始上传").click()
    row = page.locator(".upload-row")
    expect(row.locator(".upload-status")).to_contain_text("已登记为音像记录", timeout=60_000)
    j.step("uploaded")

    # 3. Its document (合议记录), drafted, signed by both officers and finalised.
    page.goto(act_url)
    page.get_by_role("link", name="新建文书").first.click()
    j.step("draft-new")
    page.get_by_label("文书种类").select_option(label="合议记录")
    page.get_by_role("button", name="新建").click()
    draft_url = page.url
    j.step("draft")
    page.locator("#f-host").fill("张伟")
    page.locator("#f-members").fill("张伟、李娜")
    for field in page.locator(".field.required textarea, .field.required input[type=text]").all():
        if not field.input_value():
            field.fill("经合议，一致同意按规定处理。")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_role("link", name="签名页").click()
    j.step("sign")
    signer = page.get_by_label("签名人", exact=True)
    for option, password in (("张伟", ""), ("李娜", True)):
        signer.select_option(label=f"执法人员：{option}")
        if password:
            page.get_by_label("或本人登录密码").fill(j_password())
        draw_signature(page, page.locator("canvas.signature-pad"))
        page.get_by_role("button", name="保存签名").click()
        expect(page.locator(".message-success")).to_contain_text(option)
    j.step("signed")  # the last signature may end on the act's checklist
    page.goto(draft_url)
    page.get_by_role("button", name="定稿并签章").click()
    j.confirm_if_asked("finalise")
    expect(page.locator(".message-success")).to_contain_text("定稿")
    j.step("finalised")

    # 4. The act page shows the final document and the recording, and the checklist: nothing
    # left for the officer; the registration waits for the custodian (A19, A21).
    page.goto(act_url)
    expect(page.locator("body")).to_contain_text("合议记录")
    expect(page.locator("main")).to_contain_text(clip.name)
    mine = page.locator("#next-steps-mine")
    expect(mine).to_contain_text("本次执法你需完成的事项已全部完成")
    expect(mine.locator(".next-step")).to_have_count(0)
    others = page.locator("#next-steps-others")
    expect(others.locator('[data-code="registration.due"]')).to_have_count(1)
    expect(others).to_contain_text("由记录管理专人办理")
    expect(page.locator("#next-steps .next-step")).to_have_count(1)
    j.step("act-done")
    context.close()
    j.finish()


def j_password() -> str:
    from .live import PASSWORD

    return PASSWORD


def test_the_custodian_registers_and_seals_a_dossier(browser, server):
    from playwright.sync_api import expect

    context, j = _journey(browser, server, "custodian", {"width": 1366, "height": 900})
    page = j.page
    j.login("wangfang")
    page.goto(f"{j.url}/registration/")
    j.step("registration-list")
    page.locator(f'a[href^="/acts/{server["finished_act"]}/"]').first.click()
    j.step("act")
    expect(page.locator("#next-steps-mine [data-code='registration.due']")).to_have_count(1)
    page.get_by_role("button", name="登记记录").click()
    j.confirm_if_asked("register")  # open findings: what will be recorded against it
    expect(page.locator(".message-success")).to_be_visible()
    # Registered, the act needs nothing more from anyone: the checklist is empty.
    expect(page.locator("#next-steps")).to_contain_text("本次执法记录已齐全")
    expect(page.locator("#next-steps .next-step")).to_have_count(0)
    j.step("registered")

    page.goto(f"{j.url}/archive/queue/")
    j.step("dossier-queue")
    page.locator(f'a[href="/archive/assemble/act/{server["finished_act"]}/"]').click()
    j.step("assemble")
    page.get_by_role("button", name="组卷").click()
    j.step("dossier")
    page.get_by_role("button", name="封卷归档").click()
    j.confirm_if_asked("seal")
    j.step("sealed")
    expect(page.locator("h1 .badge")).to_contain_text("已归档")
    context.close()
    j.finish()


def test_the_head_decides_an_access_request(browser, server):
    from playwright.sync_api import expect

    context, j = _journey(browser, server, "head", {"width": 1366, "height": 900})
    page = j.page
    j.login("liuyang")
    page.goto(f"{j.url}/access/inbox/")
    j.step("inbox")
    page.locator("#access_request a").first.click()
    j.step("request")
    page.get_by_role("button", name="批准", exact=True).click()
    j.step("approved")
    expect(page.locator("body")).to_contain_text("已批准")
    page.goto(f"{j.url}/access/inbox/")
    expect(page.locator("#access_request")).to_contain_text("无")
    j.step("inbox-after")
    context.close()
    j.finish()


def test_the_auditor_spot_checks_and_reports(browser, server):
    from playwright.sync_api import expect

    context, j = _journey(browser, server, "auditor", {"width": 1366, "height": 900})
    page = j.page
    j.login("zhaolei")
    page.goto(f"{j.url}/supervision/spotchecks/")
    j.step("spot-checks")
    page.get_by_role("link", name="新建抽查").click()
    j.step("spot-new")
    page.get_by_label("区县").select_option(label="渝中区")
    page.get_by_label("归档日期起").fill("2020-01-01")
    today = page.evaluate("() => new Date().toLocaleDateString('sv-SE')")  # Beijing's date
    page.get_by_label("归档日期止").fill(today)
    page.get_by_label("抽查数量").fill("1")
    page.get_by_role("button", name="抽取").click()
    j.step("spot-check")
    page.get_by_role("link", name="评分", exact=True).first.click()
    j.step("score")
    # Rule items come suggested from the findings; the auditor judges the others.
    for name in set(page.locator("input[type=radio]").evaluate_all("rs => rs.map(r => r.name)")):
        if not page.locator(f'input[name="{name}"]:checked').count():
            page.locator(f'input[name="{name}"][value="pass"]').check()
    page.get_by_role("button", name="保存评分").click()
    expect(page.locator(".message-success")).to_contain_text("的评分")
    j.step("scored")
    page.get_by_role("button", name="生成通报").click()
    j.step("reported")
    expect(page.locator("body")).to_contain_text("已通报")
    context.close()
    j.finish()


def test_the_city_administrator_reads_statistics_and_an_evaluation(browser, server):
    from playwright.sync_api import expect

    context, j = _journey(browser, server, "city-admin", {"width": 1366, "height": 900})
    page = j.page
    j.login("sunli")
    page.goto(f"{j.url}/statistics/")
    expect(page.locator("#chart-acts.chart-ready")).to_have_count(1)
    j.step("statistics")
    page.goto(f"{j.url}/supervision/evaluations/")
    j.step("evaluations")
    page.locator("tr", has_text="渝中区").locator("a").first.click()
    j.step("evaluation")
    expect(page.locator("h1")).to_contain_text("考评")
    context.close()
    j.finish()
