"""The next steps of an act (待办事项): what the regulation still needs for it, and who does it.

``next_steps(act, user)`` lists, in the order an officer works through them:

1. each missing required record — AV where it is mandatory, a required document group, the
   electronic data (the rules' ``missing_record`` hits);
2. each document being drafted that lacks fields, signatures or its finalising (A15.4);
3. each other finding still to be dealt with (open or returned: to answer; answered: for the
   head to review), errors before warnings;
4. the registration (A21): not yet registered, its deadline, a late request waiting.

The rules run live on the act's records as they are now, without writing anything, so an
upload or a signature shows at once, before the background re-evaluation stores the findings;
the stored findings give each one its status (answered, accepted) and its answer form. Every
step has a stable ``code``, a Chinese ``text``, the ``article`` it comes from and the action that
fixes it (URL and label), the action only when the capability table lets this user take it
(``actor`` says who may otherwise).

Whose work a step is (``mine``): the user's own when the capability table gives this user the
capability that deals with it (upload, draft, sign, finalise, answer, register, review, ask for
or decide a late registration), whether or not the action can be taken this minute (a finding
found live is answered once the evaluation has stored it). The others are "awaiting others"
(待他人处理): the act page shows them apart, so that the officer's own list ends empty when the
officer's part is done although the custodian has still to register (docs/compliance.md, "Whose
step": A19 and A21 give the registration to the custodian, the review of answers to the head).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

from quancheng.cases.models import Act
from quancheng.documents.models import DocumentDraft
from quancheng.documents.services import missing_fields, missing_signatures
from quancheng.orgs import capabilities as caps
from quancheng.registration.services import registration_state

from .models import Finding

if TYPE_CHECKING:
    from quancheng.orgs.models import User


ERROR = "error"
WARNING = "warning"
TODO = "todo"  # not a violation yet: work still to do (a signature, the registration)

# Rule hits that mean "not registered after the deadline": the registration step says it.
REGISTRATION_HITS = {("A21-deadline", "overdue")}

A15_4 = "第十五条第（四）项"
A21 = "第二十一条第一款"


@dataclass(frozen=True)
class Step:
    code: str  # stable: record.missing_av, document.unsigned, finding.open, registration.due …
    text: str
    article: str
    severity: str  # error, warning or todo
    action_url: str = ""  # empty: this user may not take the action (see actor)
    action_label: str = ""
    actor: str = ""  # who takes the action (中文)
    rule_id: str = ""
    rule_title: str = ""
    finding_id: int | None = None
    draft_id: int | None = None
    mine: bool = False  # this user's own work (the capability that deals with it), see above

    def as_dict(self) -> dict:
        return asdict(self)


def _act_url(act: Act, anchor: str) -> str:
    return reverse("act_detail", args=[act.pk]) + anchor


def _live_hits(act: Act, now: dt.datetime):
    """Every rule's hits on the act as its records are now (nothing stored)."""
    from .evaluate import contexts_for, run_rules

    context = contexts_for([act], now=now)[act.pk]
    return run_rules(context)


def _record_step(user: User, act: Act, rule, hit, message: str) -> Step:
    """A missing required record: AV, a document group or the electronic data."""
    base = {
        "text": message,
        "article": rule.reference,
        "severity": hit.severity or rule.severity,
        "rule_id": rule.id,
        "rule_title": rule.title,
    }
    may_upload = caps.can(user, caps.RECORDS_UPLOAD, act)
    upload = reverse("act_upload", args=[act.pk]) + "?return=checklist"
    if hit.key.startswith("docs:") or hit.key == "approval":
        if caps.can(user, caps.DRAFT_EDIT, act):
            return Step(
                "record.missing_document",
                action_url=reverse("documents:draft_new", args=[act.pk]),
                action_label="制作文书",
                actor="本执法行为的执法人员",
                mine=True,
                **base,
            )
        return Step(
            "record.missing_document",
            action_url=upload if may_upload else "",
            action_label="上传文书扫描件" if may_upload else "",
            actor="本执法行为的执法人员",
            mine=may_upload,
            **base,
        )
    code = "record.missing_data" if hit.key == "data" else "record.missing_av"
    label = "上传电子数据" if code == "record.missing_data" else "上传音像记录"
    return Step(
        code,
        action_url=upload if may_upload else "",
        action_label=label if may_upload else "",
        actor="执法人员或记录管理专人",
        mine=may_upload,
        **base,
    )


def _finding_step(
    user: User, act: Act, rule, hit, message: str, stored: Finding | None
) -> Step | None:
    severity = hit.severity or rule.severity
    base = {
        "article": rule.reference,
        "severity": severity,
        "rule_id": rule.id,
        "rule_title": rule.title,
        "finding_id": stored.pk if stored else None,
    }
    anchor = f"#finding-{stored.pk}" if stored else "#compliance"
    status = stored.status if stored else Finding.Status.OPEN
    if status == Finding.Status.ACCEPTED:
        return None  # answered and accepted by the head: dealt with
    if status == Finding.Status.ANSWERED:
        may = caps.can(user, caps.ACT_REVIEW, act)
        return Step(
            "finding.answered",
            text=f"已答复，待机构负责人审核：{message}",
            action_url=_act_url(act, anchor) if may else "",
            action_label="审核答复" if may else "",
            actor="机构负责人",
            mine=may,
            **base,
        )
    explains = caps.can(user, caps.ACT_EXPLAIN, act)
    may = stored is not None and explains
    returned = status == Finding.Status.RETURNED
    return Step(
        "finding.returned" if returned else "finding.open",
        text=f"答复被退回，请重新答复：{message}" if returned else message,
        action_url=_act_url(act, anchor) if may else "",
        action_label="答复" if may else "",
        actor="本执法行为的执法人员或记录管理专人",
        mine=explains,
        **base,
    )


def _draft_steps(user: User, act: Act) -> list[Step]:

    steps = []
    drafts = (
        DocumentDraft.objects.filter(act=act, status=DocumentDraft.Status.DRAFT)
        .select_related("doc_type", "act")
        .prefetch_related("signatures", "act__officers")
        .order_by("created_at", "pk")
    )
    for draft in drafts:
        name = f"《{draft.doc_type.name}》"
        fields = missing_fields(draft)
        if fields:
            may = caps.can(user, caps.DRAFT_EDIT, draft)
            steps.append(
                Step(
                    "document.incomplete",
                    text=f"{name}尚缺必填项：{'、'.join(fields)}",
                    action_url=draft.get_absolute_url() if may else "",
                    action_label="填写文书" if may else "",
                    actor="本执法行为的执法人员",
                    mine=may,
                    article=A15_4,
                    severity=TODO,
                    draft_id=draft.pk,
                )
            )
            continue
        signatures = missing_signatures(draft)
        if signatures:
            may = caps.can(user, caps.DRAFT_SIGN_AS_PARTY, draft)
            steps.append(
                Step(
                    "document.unsigned",
                    text=f"{name}尚缺{'、'.join(signatures)}",
                    action_url=reverse("documents:draft_sign", args=[draft.pk]) if may else "",
                    action_label="签名" if may else "",
                    actor="本执法行为的执法人员",
                    mine=may,
                    article=A15_4,
                    severity=TODO,
                    draft_id=draft.pk,
                )
            )
            continue
        may = caps.can(user, caps.DRAFT_FINALISE, draft)
        steps.append(
            Step(
                "document.not_finalised",
                text=f"{name}已签名齐全，待定稿（编号并加盖电子签章）",
                action_url=draft.get_absolute_url() + "#finalise" if may else "",
                action_label="定稿" if may else "",
                actor="本执法行为的执法人员",
                mine=may,
                article=A15_4,
                severity=TODO,
                draft_id=draft.pk,
            )
        )
    return steps


def _registration_steps(user: User, act: Act, now: dt.datetime) -> list[Step]:

    state = registration_state(act, now)
    if state.registered or not state.ended:
        return []
    day = f"{state.deadline.last_day:%Y年%m月%d日}"
    provisional = "（暂定）" if state.deadline.provisional else ""
    anchor = _act_url(act, "#registration")
    if not state.overdue or state.approved_request is not None:
        may = caps.can(user, caps.RECORDS_REGISTER, act)
        approved = state.approved_request
        text = (
            f"记录尚未登记；延期登记已批准至{approved.approved_until:%Y年%m月%d日}"
            if approved is not None and approved.approved_until
            else f"记录尚未登记，登记期限为{day}24:00前{provisional}"
        )
        return [
            Step(
                "registration.due",
                text=text,
                article=A21,
                severity=TODO,
                action_url=anchor if may else "",
                action_label="登记记录" if may else "",
                actor="记录管理专人",
                mine=may,
            )
        ]
    if state.pending_request is not None:
        may = caps.can(user, caps.LATE_REGISTRATION_DECIDE, act)
        return [
            Step(
                "registration.late_pending",
                text=f"已超过登记期限（{day}），延期登记申请待机构负责人审批",
                article=A21,
                severity=ERROR,
                action_url=anchor if may else "",
                action_label="审批延期登记" if may else "",
                actor="机构负责人",
                mine=may,
            )
        ]
    may = caps.can(user, caps.LATE_REGISTRATION_REQUEST, act)
    return [
        Step(
            "registration.overdue",
            text=f"已超过登记期限（{day}）仍未登记；逾期登记须书面说明并经机构负责人批准",
            article=A21,
            severity=ERROR,
            action_url=anchor if may else "",
            action_label="申请延期登记" if may else "",
            actor="执法人员或记录管理专人",
            mine=may,
        )
    ]


SEVERITY_ORDER = {ERROR: 0, WARNING: 1, TODO: 2}


def next_steps(act: Act, user: User, now: dt.datetime | None = None) -> list[Step]:
    """What the regulation still needs for this act, in order, with this user's actions."""
    from .rules import BY_ID

    now = now or timezone.now()
    stored = {(f.rule_id, f.key): f for f in Finding.objects.filter(act=act)}
    records, findings = [], []
    for rule_id, hit in _live_hits(act, now):
        if (rule_id, hit.key) in REGISTRATION_HITS:
            continue
        rule = BY_ID[rule_id]
        message = rule.render(hit)
        finding = stored.get((rule_id, hit.key))
        open_ = (Finding.Status.OPEN, Finding.Status.RETURNED, Finding.Status.CLOSED)
        if hit.missing_record and (finding is None or finding.status in open_):
            records.append(_record_step(user, act, rule, hit, message))
            continue
        step = _finding_step(user, act, rule, hit, message, finding)
        if step is not None:
            findings.append(step)
    findings.sort(key=lambda s: SEVERITY_ORDER[s.severity])
    return [
        *records,
        *_draft_steps(user, act),
        *findings,
        *_registration_steps(user, act, now),
    ]


def split_steps(steps: list[Step]) -> tuple[list[Step], list[Step]]:
    """The user's own steps (你还需要做的) and those awaiting others (待他人处理)."""
    return [s for s in steps if s.mine], [s for s in steps if not s.mine]


def open_errors(act: Act, now: dt.datetime | None = None) -> list[dict]:
    """The errors a registration would be recorded against: each unanswered or unaccepted
    error finding (missing records included) as the rules find them now."""
    from .rules import BY_ID

    now = now or timezone.now()
    stored = {(f.rule_id, f.key): f for f in Finding.objects.filter(act=act)}
    errors = []
    for rule_id, hit in _live_hits(act, now):
        rule = BY_ID[rule_id]
        if (rule_id, hit.key) in REGISTRATION_HITS or (hit.severity or rule.severity) != ERROR:
            continue
        finding = stored.get((rule_id, hit.key))
        if finding is not None and finding.status == Finding.Status.ACCEPTED:
            continue
        errors.append(
            {
                "rule": rule_id,
                "key": hit.key,
                "article": rule.reference,
                "message": rule.render(hit),
                "missing_record": hit.missing_record,
                "finding": finding.pk if finding else None,
            }
        )
    return errors
