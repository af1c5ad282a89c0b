"""Use cases for acts and cases; each writes its ledger event in the same transaction."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import changes, snapshot
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency, User
from quancheng.orgs.scoping import agencies_visible_to

from .models import Act, Case
from .signals import act_changed, officers_changed

ACT_FIELDS = [
    "agency",
    "kind",
    "started_at",
    "ended_at",
    "place",
    "subject",
    "case",
    "officers",
    "involves_life_or_property",
    "description",
]
ACT_EDITABLE = [f for f in ACT_FIELDS if f not in ("agency", "officers")]
CASE_FIELDS = ["agency", "number", "cause", "subject", "officers", "stage", "filed_on"]
CASE_EDITABLE = ["number", "cause", "subject", "filed_on"]

# Administrative Penalty Law (2021) art. 42: enforcement by at least two officers with
# enforcement certificates.
MIN_OFFICERS = 2


class Errors:
    """Collects field errors and raises them together, so a form shows every problem at once."""

    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def default_agency(user: User, subject) -> Agency:
    """Where a new act or case is filed when no agency is named: people of an enforcement agency
    file under their own agency; commission and city people under the subject's agency."""
    if user.agency is not None and user.agency.kind == Agency.Kind.ENFORCEMENT:
        return user.agency
    return subject.agency


def _check_visible(errors: Errors, actor: User, field: str, obj, label: str) -> None:
    if obj is not None and not agencies_visible_to(actor).filter(pk=obj.agency_id).exists():
        errors.add(field, f"{label}不存在或不在您的管辖范围内", "not_found")


def _check_officers(errors: Errors, actor: User, officers: list[User], dates: Iterable) -> None:
    if len({o.pk for o in officers}) < MIN_OFFICERS:
        errors.add("officers", "执法行为至少需要两名持有效执法证的执法人员", "too_few_officers")
    # One query for the scope, not one per officer.
    visible = set(agencies_visible_to(actor).values_list("pk", flat=True))
    for officer in officers:
        if officer.agency_id not in visible:
            errors.add("officers", f"执法人员{officer}不在您的管辖范围内", "not_found")
            continue
        if not officer.is_active:
            errors.add("officers", f"执法人员{officer}的账号已停用", "officer_inactive")
            continue
        for day in dates:
            if not officer.certificate_valid_on(day):
                number = officer.certificate_number or "无"
                valid_from = officer.certificate_valid_from or "—"
                valid_until = officer.certificate_valid_until or "—"
                errors.add(
                    "officers",
                    f"执法人员{officer}的执法证在{day:%Y年%m月%d日}无效"
                    f"（证号：{number}，有效期：{valid_from}至{valid_until}）",
                    "certificate_invalid",
                )
                break


def _check_not_future(errors: Errors, act: Act) -> None:
    """An act is a record of what happened: it does not start later than now and a clock
    tolerance. Its end may lie ahead: an inspection still under way has a planned end."""
    latest = timezone.now() + dt.timedelta(seconds=settings.QC_FUTURE_TOLERANCE_SECONDS)
    if act.started_at and act.started_at > latest:
        errors.add("started_at", "开始时间晚于当前时间，不能登记未来的执法行为", "in_future")


def _clean_act(actor: User, act: Act, officers: list[User]) -> None:
    errors = Errors()
    if act.kind not in Act.Kind.values:
        errors.add("kind", "执法行为类型无效", "invalid_choice")
    if not (act.place or "").strip():
        errors.add("place", "地点不能为空", "required")
    if act.started_at and act.ended_at and act.ended_at <= act.started_at:
        errors.add("ended_at", "结束时间必须晚于开始时间", "end_before_start")
    _check_not_future(errors, act)
    _check_visible(errors, actor, "subject", act.subject, "执法对象")
    _check_visible(errors, actor, "case", act.case, "案件")
    if act.case is not None and act.case.subject_id != act.subject_id:
        errors.add("case", "所属案件的执法对象与本执法行为不一致", "case_subject_mismatch")
    days = set()
    if act.started_at and act.ended_at:
        days = {timezone.localdate(act.started_at), timezone.localdate(act.ended_at)}
    _check_officers(errors, actor, officers, sorted(days))
    errors.raise_any()


def _create(actor: User, model, fields, editable, clean, agency, officers, data):
    """Create an act or a case with its officers, and record it."""
    caps.require(actor, caps.ACT_CREATE if model is Act else caps.CASE_CREATE, agency)
    obj = model(agency=agency, **{k: v for k, v in data.items() if k in editable})
    clean(actor, obj, officers)
    obj.save()
    obj.officers.set(officers)
    action = Action(f"{obj._meta.model_name}.created")  # type: ignore[call-arg]  # lookup by value
    record_event(actor, action, obj, snapshot(obj, fields))
    return obj


def _update(actor: User, obj, fields, editable, clean, officers, data):
    """Change an act or a case; only what differs is written and recorded.

    1. only its own officers and the head change it (and nothing once sealed);
    2. a change of officers is its own capability and its own ledger event (who was added,
       who removed), and adding oneself is alerted (A24: a way to reach records otherwise
       needing approval).
    """
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    caps.require(actor, caps.ACT_EDIT if isinstance(obj, Act) else caps.CASE_EDIT, obj)
    before = snapshot(obj, fields)
    for key, value in data.items():
        if key in editable:
            setattr(obj, key, value)
    current = list(obj.officers.all())
    officers = current if officers is None else officers
    clean(actor, obj, officers)
    added, removed = _officer_change(actor, obj, current, officers)
    after = snapshot(obj, [f for f in fields if f != "officers"])
    after["officers"] = sorted(o.pk for o in officers)
    diff = changes(before, after)
    if not diff:
        return obj
    obj.updated_at = timezone.now()
    obj.save()
    obj.officers.set(officers)
    label = obj._meta.model_name
    if added or removed:
        body = {"added": sorted(added), "removed": sorted(removed)}
        changed = Action(f"{label}.officers_changed")  # type: ignore[call-arg]  # lookup by value
        record_event(actor, changed, obj, body)
        # Alerts raises ``officers.self_added`` when the actor added themself (A24).
        officers_changed.send(type(obj), actor=actor, obj=obj, added=added, removed=removed)
    updated = Action(f"{label}.updated")  # type: ignore[call-arg]  # lookup by value
    record_event(actor, updated, obj, {"changes": diff})
    return obj


def _officer_change(actor: User, obj, current: list[User], wanted: list[User]):
    """Who is added and who removed; refused unless the actor holds that change."""
    before, after = {o.pk for o in current}, {o.pk for o in wanted}
    added, removed = after - before, before - after
    if not (added or removed):
        return added, removed
    caps.require(actor, caps.ACT_CHANGE_OFFICERS if isinstance(obj, Act) else caps.CASE_EDIT, obj)
    if removed:
        caps.require(actor, caps.ACT_REMOVE_OFFICERS, obj)
    return added, removed


@transaction.atomic(durable=True)
def create_act(actor: User, agency: Agency, officers: list[User], **data) -> Act:
    """Create an act in the agency with its officers (a ledger event)."""
    return _create(actor, Act, ACT_FIELDS, ACT_EDITABLE, _clean_act, agency, officers, data)


@transaction.atomic(durable=True)
def update_act(actor: User, act: Act, officers: list[User] | None = None, **data) -> Act:
    """Change an act's fields or officers; its compliance is evaluated again after the commit."""
    previous_case_id = Act.objects.filter(pk=act.pk).values_list("case_id", flat=True).first()
    act = _update(actor, act, ACT_FIELDS, ACT_EDITABLE, _clean_act, officers, data)
    # Compliance evaluates the act again and both cases' completeness, after the commit.
    act_changed.send(Act, act=act, previous_case_id=previous_case_id)
    return act


def _clean_case(actor: User, case: Case, officers: list[User]) -> None:
    errors = Errors()
    if not (case.number or "").strip():
        errors.add("number", "案件编号不能为空", "required")
    elif Case.objects.filter(agency=case.agency, number=case.number).exclude(pk=case.pk).exists():
        errors.add("number", "本机构已有相同编号的案件", "duplicate")
    if not (case.cause or "").strip():
        errors.add("cause", "案由不能为空", "required")
    _check_visible(errors, actor, "subject", case.subject, "执法对象")
    _check_officers(errors, actor, officers, [case.filed_on] if case.filed_on else [])
    errors.raise_any()


@transaction.atomic(durable=True)
def create_case(actor: User, agency: Agency, officers: list[User], **data) -> Case:
    """Create a case in the agency with its officers (a ledger event)."""
    return _create(actor, Case, CASE_FIELDS, CASE_EDITABLE, _clean_case, agency, officers, data)


@transaction.atomic(durable=True)
def update_case(actor: User, case: Case, officers: list[User] | None = None, **data) -> Case:
    """Change a case's fields or officers (a ledger event with the differences)."""
    return _update(actor, case, CASE_FIELDS, CASE_EDITABLE, _clean_case, officers, data)


@transaction.atomic(durable=True)
def change_case_stage(actor: User, case: Case, stage: str, note: str = "") -> Case:
    """Move a case to another stage, with the actor's note (a ledger event)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    caps.require(actor, caps.CASE_EDIT, case)
    return _move_stage(actor, case, stage, note)


def archive_case(actor: User, case: Case, note: str) -> Case:
    """The case moves to 归档 as its dossier is frozen: called by archive.freeze_dossier, which
    has checked that the actor holds ``dossier.archive`` (A19: the custodian archives)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    return _move_stage(actor, case, Case.Stage.ARCHIVED, note)


def _move_stage(actor: User, case: Case, stage: str, note: str) -> Case:
    if stage not in case.TRANSITIONS[Case.Stage(case.stage)]:
        current = Case.Stage(case.stage).label
        target = Case.Stage(stage).label if stage in Case.Stage.values else stage
        raise ValidationError(
            {
                "stage": [
                    ValidationError(
                        f"案件不能从“{current}”变更为“{target}”", code="illegal_stage_change"
                    )
                ]
            }
        )
    old = case.stage
    case.stage = stage
    case.updated_at = timezone.now()
    case.save(update_fields=["stage", "updated_at"])
    record_event(actor, Action.CASE_STAGE_CHANGED, case, {"from": old, "to": stage, "note": note})
    return case
