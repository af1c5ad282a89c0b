"""The capability table (能力表): who may do what, in one place.

Every page, API operation, form, template and service asks ``can(user, capability, obj)`` (or
``require`` / ``check``) instead of testing roles itself. A capability is held by people
described in its row: their role, the agency scope (orgs/scoping.py), their involvement in the
act or case (承办), an approved request, and the state of the object (a sealed dossier's acts,
cases and items are read-only for everyone: 封卷后只读).

One refusal policy:

* the object outside the user's scope → :class:`~django.http.Http404` (nothing hints it exists);
* inside the scope but not held → :class:`~django.core.exceptions.PermissionDenied` with the
  reason in Chinese (403).

The platform is run by three administrators (三员分立, GB/T 22239-2019; docs/security.md): the
系统管理员 (organisation, accounts, devices, configuration), the 安全管理员 (roles, lockouts,
tokens, keys) and the 审计管理员 (reads the ledger, access reports and the other two's actions,
changes nothing). None of them writes enforcement data or reads record content (the A24 policy
refuses them). The superuser flag is the break-glass account's alone (``manage.py break_glass``,
a critical alert): it holds only the rows that name ``superuser``, never a silent bypass of
第二十四条 or of an act's officers.

This module sits in ``orgs`` so that every app can import it; facts only a higher app knows (is
the object sealed in a dossier, may the user view a record's content under the A24 policy) are
provided by those apps at start-up through :func:`provide` (a lower app announces, a higher app
reacts).

``docs/access.md`` shows this table; ``manage.py capability_table`` regenerates that section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from quancheng.orgs.models import User

    # Who asks: a request's user may be anonymous, and a template may have no request.
    Asker = User | AnonymousUser | None


# --- verdicts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    in_scope: bool = True

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)
OUT_OF_SCOPE = Verdict(False, "对象不存在", in_scope=False)
NOT_SIGNED_IN = Verdict(False, "请先登录", in_scope=False)


def _no(reason: str) -> Verdict:
    return Verdict(False, reason)


# --- facts provided by higher apps ------------------------------------------------------------

_FACTS: dict[str, Callable] = {}


def provide(name: str, function: Callable) -> None:
    """Called from an app's ``ready()``: ``sealed`` (obj → reason or "") by archive,
    ``may_view_content`` (user, item → Verdict-like with ``allowed``/``reason_zh``) by access."""
    _FACTS[name] = function


def sealed_reason(obj) -> str:
    """Why ``obj`` (an act, case, draft or record item) is read-only, or "" when it is not."""
    fact = _FACTS.get("sealed")
    return fact(obj) if fact and obj is not None else ""


# --- who the user is, relative to an object ---------------------------------------------------


def _active(user: Asker) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _in_scope(user: User, agency_id: int | None) -> bool:
    from .scoping import agencies_visible_to

    if agency_id is None:
        return True
    if user.sees_whole_city:
        return True
    return agencies_visible_to(user).filter(pk=agency_id).exists()


def _is_head_of(user: User, agency_id) -> bool:
    return user.role == Role.HEAD and user.agency_id == agency_id


def _is_custodian_in(user: User, agency_id) -> bool:
    return user.role == Role.CUSTODIAN and _in_scope(user, agency_id)


def _writes(user: User) -> bool:
    """Roles that create enforcement data at all; the others only read (A25, A26)."""
    return user.role in (Role.OFFICER, Role.CUSTODIAN, Role.HEAD, Role.CITY_ADMIN)


def _on(user: User, obj) -> bool:
    """An officer of the act or case (its 承办人员)."""
    return obj is not None and obj.officers.filter(pk=user.pk).exists()


def involved_in_act(user: User, act) -> bool:
    """An officer of the act, or of the case it belongs to."""
    return _on(user, act) or (act.case_id is not None and _on(user, act.case))


# --- the objects a capability is asked about --------------------------------------------------


class SigningAs(NamedTuple):
    """The object of ``draft.sign_as_officer``: which draft, in whose name."""

    draft: Any  # a documents Draft (orgs sits below documents, so not named here)
    officer: Any  # the User in whose name, or None


def _act_of(obj):
    """The act an act, draft, segment, document or data record belongs to."""
    label = obj._meta.label_lower
    if label == "cases.act":
        return obj
    return getattr(obj, "act", None)


def _agency_id(obj) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, SigningAs):
        return obj.draft.agency_id
    if obj._meta.label_lower == "orgs.agency":
        return obj.pk
    return getattr(obj, "agency_id", None)


def _sealed(obj) -> Verdict | None:
    reason = sealed_reason(obj.draft if isinstance(obj, SigningAs) else obj)
    return _no(reason) if reason else None


# --- the rules ------------------------------------------------------------------------------


def _any_in_scope(user: User, obj) -> Verdict:
    return ALLOWED


def _writer_in_scope(user: User, obj) -> Verdict:
    if _writes(user):
        return ALLOWED
    return _no(f"您的角色（{user.get_role_display()}）只能查看，不能登记或修改数据")


def _officer_or_head(user: User, obj) -> Verdict:
    """Only the act's (or case's) own officers and the head of its agency change it."""
    if not _writes(user):
        return _writer_in_scope(user, obj)
    if _is_head_of(user, obj.agency_id) or _on(user, obj):
        return ALLOWED
    what = "执法行为" if obj._meta.label_lower == "cases.act" else "案件"
    return _no(f"只有本{what}的执法人员和机构负责人可以修改")


def _change_officers(user: User, obj) -> Verdict:
    """The head changes the officers; an officer already on the act may add a colleague
    (removing one is the head's: cases/services.py checks who is removed)."""
    if _is_head_of(user, obj.agency_id) or _on(user, obj):
        return ALLOWED
    return _no("只有机构负责人或本执法行为的执法人员可以调整执法人员")


def _involved(user: User, obj) -> Verdict:
    act = _act_of(obj)
    if act is not None and involved_in_act(user, act):
        return ALLOWED
    return _no("只有承办本执法行为的执法人员可以制作、签名和定稿文书")


def _sign_as_officer(user: User, obj: SigningAs) -> Verdict:
    """电子签名法 art. 13: a signature is the signer's alone, given by the signer."""
    act = obj.draft.act
    if obj.officer is None or not _on(obj.officer, act):
        return _no("签名的执法人员应是本次执法行为的执法人员")
    if obj.officer.pk != user.pk:
        return _no(f"执法人员{obj.officer}的签名只能由其本人登录，或输入本人密码或签名PIN后签署")
    return ALLOWED


def _may_view_content(user: User, obj) -> Verdict:
    fact = _FACTS.get("may_view_content")
    if fact is None:
        return _no("无法判断查看权限")
    decision = fact(user, obj)
    return ALLOWED if decision.allowed else _no(decision.reason_zh)


def _marker(user: User, obj) -> Verdict:
    if not _writes(user):
        return _writer_in_scope(user, obj)
    verdict = _may_view_content(user, obj)
    if not verdict:
        return _no(f"无权查看该音像记录，不能添加或撤销标记：{verdict.reason}")
    return ALLOWED


def _time_enterer(user: User, obj) -> Verdict:
    """The records custodian of the segment's scope, or an officer who recorded, uploaded or
    handles it (an officer of its act)."""
    if user.role == Role.CUSTODIAN:
        return ALLOWED
    if user.role == Role.OFFICER and (
        user.pk in (obj.officer_id, obj.created_by_id)
        or (obj.act_id is not None and involved_in_act(user, obj.act))
    ):
        return ALLOWED
    return _no("只有承办的执法人员或记录管理专人可以录入音像记录的拍摄时间")


def _extraction_downloader(user: User, obj) -> Verdict:
    """The requester and the head of the records' agency, once the package exists."""
    if obj.status != "produced" or obj.package_id is None:
        return _no("提取包尚未制作完成")
    if user.pk == obj.requested_by_id or _is_head_of(user, obj.agency_id):
        return ALLOWED
    return _no("只有申请人和机构负责人可以下载提取包")


def _provision_registrar(user: User, obj) -> Verdict:
    """The requester, or the custodian of the provision's agency, registers the handing over."""
    if not _writes(user):
        return _writer_in_scope(user, obj)
    if user.pk == obj.requested_by_id or (
        user.role == Role.CUSTODIAN and user.agency_id == obj.agency_id
    ):
        return ALLOWED
    return _no("只有申请人或记录管理专人可以登记对外提供")


def _whole_queue(user: User, obj) -> Verdict:
    """Officers see and link only their own segments in the queue; the others in scope, all."""
    if user.role == Role.OFFICER and not user.is_superuser:
        return _no("执法人员只能查看、关联本人的音像记录")
    return ALLOWED


def _own_pin(user: User, obj) -> Verdict:
    """A signing PIN is set by its officer alone, in their own session."""
    if obj is None or obj.pk != user.pk:
        return _no("签名PIN只能由本人设置")
    if not _writes(user):
        return _writer_in_scope(user, obj)
    return ALLOWED


def _pin_resetter(user: User, obj) -> Verdict:
    """The head, for the people of their own agency; the city administrator."""
    if user.role == Role.CITY_ADMIN:
        return ALLOWED
    if user.role == Role.HEAD and (obj is None or obj.agency_id == user.agency_id):
        return ALLOWED
    return _no("只有本机构负责人或市级管理员可以重置签名PIN")


def _roles(*roles: str, superuser: bool = False, message: str) -> Callable:
    def rule(user: User, obj) -> Verdict:
        if (superuser and user.is_superuser) or user.role in roles:
            return ALLOWED
        return _no(message)

    return rule


def _head_of_agency(message: str) -> Callable:
    """The head of the object's agency; without an object, any head (e.g. the inbox)."""

    def rule(user: User, obj) -> Verdict:
        if obj is None:
            return ALLOWED if user.role == Role.HEAD and user.agency_id else _no(message)
        return ALLOWED if _is_head_of(user, _agency_id(obj)) else _no(message)

    return rule


def _custodian(message: str, superuser: bool = False) -> Callable:
    def rule(user: User, obj) -> Verdict:
        if (superuser and user.is_superuser) or user.role == Role.CUSTODIAN:
            return ALLOWED
        return _no(message)

    return rule


def _custodian_or_involved_officer(user: User, obj) -> Verdict:
    if user.role == Role.CUSTODIAN:
        return ALLOWED
    if user.role == Role.OFFICER and involved_in_act(user, obj):
        return ALLOWED
    return _no("只有本辖区的记录管理专人或本执法行为的执法人员可以申请延期登记")


def _alert_closer(user: User, obj) -> Verdict:
    """Nobody closes an alert about themselves (A27: the alert is about that person)."""
    if not _writes(user):
        return _writer_in_scope(user, obj)
    if obj is not None and (obj.detail or {}).get("user") == user.get_username():
        return _no("不能处理关于本人的告警")
    return ALLOWED


def _officer_of_act_or_custodian(user: User, obj) -> Verdict:
    if _on(user, obj) or (user.role == Role.CUSTODIAN and _writes(user)):
        return ALLOWED
    return _no("只有本执法行为的执法人员或记录管理专人可以制作说明、答复检查发现")


def _item_linker(user: User, obj) -> Verdict:
    """Writers in scope; an officer (un)links only the segments they recorded (or whose officer
    is unknown: an officer uploading the very file proves having it)."""
    if not _writes(user):
        return _writer_in_scope(user, obj)
    own = obj is None or label_of(obj) != "records.segment" or obj.officer_id in (None, user.pk)
    if user.role == Role.OFFICER and not user.is_superuser and not own:
        return _no("执法人员只能关联或解除关联本人的音像记录")
    return ALLOWED


def _device_manager(user: User, obj) -> Verdict:
    if user.is_superuser or user.role in (
        Role.CUSTODIAN,
        Role.HEAD,
        Role.CITY_ADMIN,
        Role.SYSTEM_ADMIN,
    ):
        return ALLOWED
    return _no("只有本辖区的记录管理专人、机构负责人、市级管理员或系统管理员可以管理设备")


def _sheet_editor(user: User, obj) -> Verdict:
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return ALLOWED
    if user.role == Role.AUDITOR and user.sees_whole_city:
        return ALLOWED
    return _no("只有市级管理员或市级法制稽查人员可以修改评分表")


def _token_manager(user: User, obj) -> Verdict:
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.SECURITY_ADMIN):
        return ALLOWED
    # The head and the custodian, for people of the agencies in their scope (an account of no
    # agency is the administrators').
    if user.role in (Role.HEAD, Role.CUSTODIAN) and obj is not None:
        return ALLOWED
    return _no("只有安全管理员、市级管理员、机构负责人或记录管理专人可以签发或撤销接口令牌")


def _login_unlocker(user: User, obj) -> Verdict:
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.SECURITY_ADMIN):
        return ALLOWED
    # The head, for the people of their own agency (obj: the locked person; None: the list).
    if user.role == Role.HEAD and (obj is None or obj.agency_id == user.agency_id):
        return ALLOWED
    return _no("只有本机构负责人、市级管理员或安全管理员可以解除登录锁定")


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Capability:
    code: str
    label: str
    holders: str  # who holds it, for docs/access.md
    rule: Callable[[object, object], Verdict]
    # A change: refused on anything a sealed dossier holds, whoever asks; always about an object.
    changes: bool = False
    # The kinds of object it is asked about (model labels); empty: anything, or nothing.
    about: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.code


TABLE: dict[str, Capability] = {}


ACT, CASE, DRAFT = "cases.act", "cases.case", "documents.documentdraft"
ITEMS = ("records.segment", "records.document", "records.datarecord")
OBJECTS = {
    "act.edit": (ACT,),
    "act.change_officers": (ACT,),
    "case.edit": (CASE,),
    "draft.edit": (ACT, DRAFT),
    "draft.sign_as_officer": ("signing_as",),
    "draft.sign_as_party": (DRAFT,),
    "draft.finalise": (DRAFT,),
    "marker.change": ("records.segment",),
    "item.link": ITEMS,
    "item.set_evidence": ITEMS,
    "registration.request_late": (ACT,),
    "registration.decide_late": (ACT,),
    "records.register": (ACT,),
    "act.explain": (ACT,),
    "act.review": (ACT,),
    "act.evaluate": (ACT,),
    "segment.enter_time": ("records.segment",),
    "extraction.download": ("access.extraction",),
    "provision.register": ("access.provision",),
    "act.remove_officers": (ACT, CASE),
    "signing_pin.set": ("orgs.user",),
    "signing_pin.reset": ("orgs.user",),
    "content.picture_offset_confirm": ("records.segment",),
    "content.scan_confirm": ("records.document",),
}


def _declare(code, label, holders, rule, changes=False) -> str:
    TABLE[code] = Capability(code, label, holders, rule, changes, OBJECTS.get(code, ()))
    return code


def label_of(obj) -> str:
    if isinstance(obj, SigningAs):
        return "signing_as"
    return obj._meta.label_lower


SUBJECT_CHANGE = _declare(
    "subject.change",
    "登记、修改执法对象",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
ACT_VIEW = _declare(
    "act.view", "查看执法行为", "anyone signed in whose scope holds the act", _any_in_scope
)
ACT_CREATE = _declare(
    "act.create",
    "登记执法行为",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
ACT_EDIT = _declare(
    "act.edit",
    "修改执法行为",
    "the act's own officers; the head of its agency; not once sealed",
    _officer_or_head,
    changes=True,
)
ACT_CHANGE_OFFICERS = _declare(
    "act.change_officers",
    "调整执法行为的执法人员",
    "the head of its agency; an officer on the act may add a colleague (not remove); "
    "not once sealed",
    _change_officers,
    changes=True,
)
ACT_REMOVE_OFFICERS = _declare(
    "act.remove_officers",
    "移除执法行为或案件的执法人员",
    "the head of its agency; not once sealed",
    _head_of_agency("只有机构负责人可以移除执法人员"),
    changes=True,
)
CASE_VIEW = _declare(
    "case.view", "查看案件", "anyone signed in whose scope holds the case", _any_in_scope
)
CASE_CREATE = _declare(
    "case.create",
    "立案",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
CASE_EDIT = _declare(
    "case.edit",
    "修改案件（含阶段、承办人员）",
    "the case's own officers; the head of its agency; not once sealed",
    _officer_or_head,
    changes=True,
)
DRAFT_EDIT = _declare(
    "draft.edit",
    "制作、修改文书草稿，记录拒签，发起更正",
    "officers of the act or of its case; not once sealed",
    _involved,
    changes=True,
)
DRAFT_SIGN_AS_OFFICER = _declare(
    "draft.sign_as_officer",
    "以执法人员X的名义签名",
    "officer X alone, on the act, authenticated when signing (own session, or their password or "
    "signing PIN on a shared terminal)",
    _sign_as_officer,
    changes=True,
)
DRAFT_SIGN_AS_PARTY = _declare(
    "draft.sign_as_party",
    "采集当事人、见证人签名",
    "officers of the act or of its case, on their own device and session (recorded as witness)",
    _involved,
    changes=True,
)
DRAFT_FINALISE = _declare(
    "draft.finalise",
    "文书定稿（编号、签章）",
    "officers of the act or of its case; not once sealed",
    _involved,
    changes=True,
)
RECORDS_UPLOAD = _declare(
    "records.upload",
    "上传、关联记录",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
RECORDS_QUEUE_ALL = _declare(
    "records.queue_all",
    "查看、关联整个待关联队列（不限本人的音像记录）",
    "everyone in scope but officers, who see and link their own segments only",
    _whole_queue,
)
ITEM_LINK = _declare(
    "item.link",
    "关联、解除关联记录，向执法行为添加记录",
    "officer (their own segments only), custodian, head, city administrator, in their scope; "
    "not once the item is in a sealed dossier",
    _item_linker,
    changes=True,
)
EVIDENCE_SET = _declare(
    "item.set_evidence",
    "标记记录是否用作证据（第二十二条）",
    "officer, custodian, head, city administrator, in their scope (allowed after sealing: it "
    "classifies retention, not content)",
    _writer_in_scope,
)
SEGMENT_ENTER_TIME = _declare(
    "segment.enter_time",
    "录入音像记录的拍摄时间（手工）",
    "the custodian in scope; an officer who recorded or uploaded the segment or is on its act; "
    "not once sealed",
    _time_enterer,
    changes=True,
)
EXTRACTION_REQUEST = _declare(
    "extraction.request",
    "申请证据提取、登记对外提供（第二十四条）",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
EXTRACTION_DOWNLOAD = _declare(
    "extraction.download",
    "下载证据提取包及其说明",
    "the requester; the head of the records' agency; once the package is produced",
    _extraction_downloader,
)
PROVISION_REGISTER = _declare(
    "provision.register",
    "登记已对外提供",
    "the requester; the custodian of the provision's agency",
    _provision_registrar,
)
ALERT_CLOSE = _declare(
    "alert.close",
    "处理告警",
    "officer, custodian, head, city administrator, in scope; never an alert about themselves",
    _alert_closer,
)
MARKER_CHANGE = _declare(
    "marker.change",
    "添加、撤销音像记录标记",
    "whoever may view the segment under the A24 policy (and writes enforcement data); "
    "not once sealed",
    _marker,
    changes=True,
)
ACT_EXPLAIN = _declare(
    "act.explain",
    "制作情况说明、答复检查发现（第十一条、第十三条）",
    "the act's officers; the custodian in scope",
    _officer_of_act_or_custodian,
)
ACT_REVIEW = _declare(
    "act.review",
    "审核工作记录和检查发现答复",
    "the head of the act's agency",
    _head_of_agency("只有该执法行为所属机构的负责人可以审核"),
)
ACT_EVALUATE = _declare(
    "act.evaluate",
    "重新检查执法行为",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
RECORDS_REGISTER = _declare(
    "records.register",
    "登记存储记录（第二十一条）",
    "the records custodian in scope",
    _custodian(
        "只有本辖区的记录管理专人可以登记执法记录（第二十一条：记录不得由案件调查人员自行保存）"
    ),
)
LATE_REGISTRATION_REQUEST = _declare(
    "registration.request_late",
    "申请延期登记（第二十一条）",
    "the custodian in scope; an officer of the act",
    _custodian_or_involved_officer,
)
LATE_REGISTRATION_DECIDE = _declare(
    "registration.decide_late",
    "审批延期登记",
    "the head of the act's agency",
    _head_of_agency("只有该执法行为所属机构的负责人可以审批延期登记申请"),
)
REQUESTS_VIEW_IN_SCOPE = _declare(
    "requests.view_in_scope",
    "查看辖区内他人的调阅申请",
    "head, custodian, legal auditor, city administrator (everyone sees their own)",
    _roles(
        Role.HEAD,
        Role.CUSTODIAN,
        Role.AUDITOR,
        Role.CITY_ADMIN,
        message="只能查看本人提交的调阅申请",
    ),
)
REQUESTS_DECIDE = _declare(
    "requests.decide",
    "审批调阅、提取、长期保存等申请（第二十四条）",
    "the head of the request's agency, never for their own request",
    _head_of_agency("只有本机构负责人可以审批"),
)
RULES_CONFIGURE = _declare(
    "rules.configure",
    "修改检查规则配置",
    "the city administrator",
    _roles(Role.CITY_ADMIN, message="只有市级管理员可以修改规则配置"),
)
SCHEDULES_LOAD = _declare(
    "calendar.load",
    "导入节假日安排",
    "the city administrator; the system administrator; break-glass",
    _roles(
        Role.CITY_ADMIN,
        Role.SYSTEM_ADMIN,
        superuser=True,
        message="只有市级管理员或系统管理员可以导入节假日安排",
    ),
)
RETENTION_CONFIGURE = _declare(
    "retention.configure",
    "修改保管期限配置（不得低于第二十二条）",
    "the city administrator; break-glass (superuser)",
    _roles(Role.CITY_ADMIN, superuser=True, message="只有市级管理员可以修改保管期限配置"),
)
DEVICES_MANAGE = _declare(
    "devices.manage",
    "管理设备（第十九条）",
    "custodian, head, city administrator, system administrator, break-glass, in their scope",
    _device_manager,
)
DEVICES_REPORT_DOCKED = _declare(
    "devices.report_docked",
    "报告设备已对接（采集工作站）",
    "officer, custodian, head, city administrator, in their scope",
    _writer_in_scope,
)
PICTURE_OFFSET_CONFIRM = _declare(
    "content.picture_offset_confirm",
    "按画面时间确认设备时钟偏差（第十九条）",
    "custodian, in their scope",
    _custodian("只有本辖区的记录管理专人可以按画面时间更新设备时钟偏差"),
)
SCAN_CONFIRM = _declare(
    "content.scan_confirm",
    "确认或更正扫描文书的识别结果（文号、起止时间）",
    "officer, custodian, head, city administrator, in their scope (not once sealed)",
    _writer_in_scope,
    changes=True,
)
TOKENS_MANAGE = _declare(
    "tokens.manage",
    "签发、撤销接口令牌",
    "security administrator, city administrator, break-glass; head and custodian for people "
    "in their scope",
    _token_manager,
)
LOGINS_UNLOCK = _declare(
    "logins.unlock",
    "查看并解除登录锁定",
    "the head for the people of their agency; security administrator, city administrator, "
    "break-glass",
    _login_unlocker,
)
KEYS_ROTATE = _declare(
    "keys.rotate",
    "轮换账本签名密钥",
    "the security administrator only (三员分立: key management is theirs alone)",
    _roles(Role.SECURITY_ADMIN, message="只有安全管理员可以轮换账本签名密钥"),
)
SIGNING_PIN_SET = _declare(
    "signing_pin.set",
    "设置、修改本人的签名PIN",
    "the person themselves, in their own session and with their password (roles that create "
    "enforcement data)",
    _own_pin,
)
SIGNING_PIN_RESET = _declare(
    "signing_pin.reset",
    "重置签名PIN",
    "the head for the people of their agency; city administrator",
    _pin_resetter,
)
DOSSIER_ARCHIVE = _declare(
    "dossier.archive",
    "组卷、封卷、补充归档（第十九条）",
    "the records custodian in scope",
    _custodian("只有本机构的记录管理专人可以组卷、归档和补充归档", superuser=True),
)
TRANSFER_REQUEST = _declare(
    "transfer.request",
    "申请将案卷移交档案部门、下载移交包",
    "the records custodian in scope",
    _custodian("只有本机构的记录管理专人可以申请移交档案部门"),
)
TRANSFER_DECIDE = _declare(
    "transfer.decide",
    "审批案卷移交档案部门",
    "the head of the dossier's agency, never for their own request",
    _head_of_agency("只有本机构负责人可以审批档案移交"),
)
LEDGER_VERIFY = _declare(
    "ledger.verify",
    "发起日志校验",
    "custodian, head, legal auditor, city administrator",
    _roles(
        Role.CUSTODIAN,
        Role.HEAD,
        Role.AUDITOR,
        Role.CITY_ADMIN,
        message="只有记录管理专人、机构负责人、法制稽查和市级管理员可以发起校验",
    ),
)
FIXITY_VIEW = _declare(
    "fixity.view",
    "查看、发起完整性校验",
    "custodian, legal auditor, head, city administrator, superuser",
    _roles(
        Role.CUSTODIAN,
        Role.AUDITOR,
        Role.HEAD,
        Role.CITY_ADMIN,
        superuser=True,
        message="只有记录管理专人、法制稽查、机构负责人和市级管理员可以查看完整性校验",
    ),
)
ARCHIVE_QUEUES_VIEW = _declare(
    "archive.view_queues",
    "查看保管、销毁与长期保存队列",
    "custodian, head, legal auditor, city administrator, superuser",
    _roles(
        Role.CUSTODIAN,
        Role.HEAD,
        Role.AUDITOR,
        Role.CITY_ADMIN,
        superuser=True,
        message="无权查看保管队列",
    ),
)
HOLD_REQUEST = _declare(
    "hold.request",
    "申请长期保存（第二十三条）",
    "officer, custodian in scope",
    _roles(Role.OFFICER, Role.CUSTODIAN, message="只有执法人员和记录管理专人可以申请长期保存"),
)
DISPOSAL_PROPOSE = _declare(
    "disposal.propose",
    "提出销毁申请（第二十二条）",
    "the records custodian, for their own agency",
    _custodian("只有记录管理专人可以提出销毁申请"),
)
HOLD_OFFLINE_COPY = _declare(
    "hold.offline_copy",
    "登记长期保存记录的离线备份",
    "the records custodian in scope",
    _custodian("只有记录管理专人可以登记离线备份"),
)
RETENTION_NARROW = _declare(
    "retention.narrow",
    "认定音像记录不作为证据使用（第二十二条第三款）",
    "the custodian or the head in scope",
    _roles(
        Role.CUSTODIAN,
        Role.HEAD,
        message="只有记录管理专人或机构负责人可以认定音像记录不作为证据使用",
    ),
)
HOLD_VIEW = _declare(
    "hold.view",
    "查看长期保存申请",
    "officer, custodian, head, legal auditor, city administrator, superuser, in scope",
    _roles(
        Role.OFFICER,
        Role.CUSTODIAN,
        Role.HEAD,
        Role.AUDITOR,
        Role.CITY_ADMIN,
        superuser=True,
        message="无权查看长期保存申请",
    ),
)
HOLD_LIFT_REQUEST = _declare(
    "hold.request_lift",
    "申请解除长期保存",
    "officer, custodian, head",
    _roles(
        Role.OFFICER,
        Role.CUSTODIAN,
        Role.HEAD,
        message="只有执法人员、记录管理专人或机构负责人可以申请解除长期保存",
    ),
)
ACCESS_REPORT = _declare(
    "access.report",
    "查看访问记录报告",
    "head, legal auditor, city administrator, audit administrator, break-glass",
    _roles(
        Role.HEAD,
        Role.AUDITOR,
        Role.CITY_ADMIN,
        Role.AUDIT_ADMIN,
        superuser=True,
        message="只有机构负责人、法制稽查、市级管理员和审计管理员可以查看访问记录报告",
    ),
)
# --- 三员分立 (docs/security.md) ---
ROLES_ASSIGN = _declare(
    "roles.assign",
    "分配人员角色",
    "the security administrator; break-glass (never to oneself, never a second administrator "
    "role: the database holds one role per account)",
    _roles(Role.SECURITY_ADMIN, superuser=True, message="只有安全管理员可以分配角色"),
)
ADMIN_AUDIT = _declare(
    "admin.audit",
    "查看三员及应急账号的操作记录",
    "the audit administrator; break-glass",
    _roles(Role.AUDIT_ADMIN, superuser=True, message="只有审计管理员可以查看管理员操作记录"),
)
SUPERVISION_VIEW = _declare(
    "supervision.view",
    "查看抽查与考评",
    "legal auditor, district commission, head, city administrator, superuser",
    _roles(
        Role.AUDITOR,
        Role.DISTRICT_COMMISSION,
        Role.CITY_ADMIN,
        Role.HEAD,
        superuser=True,
        message="只有法制稽查、区县卫生健康行政部门、机构负责人和市级管理员可以查看抽查与考评",
    ),
)
SPOTCHECK_AUDIT = _declare(
    "supervision.audit",
    "开展案卷抽查（第二十六条）",
    "the legal auditor; superuser",
    _roles(Role.AUDITOR, superuser=True, message="只有法制稽查人员可以开展案卷抽查"),
)
EVALUATE = _declare(
    "supervision.evaluate",
    "开展考评（第二十五条）",
    "the district commission; superuser",
    _roles(
        Role.DISTRICT_COMMISSION, superuser=True, message="只有区县卫生健康行政部门可以开展考评"
    ),
)
SHEETS_EDIT = _declare(
    "supervision.edit_sheets",
    "修改评分表",
    "city administrator, city-level legal auditor, superuser",
    _sheet_editor,
)


# Routes whose guard is not one row of the table (quancheng/web/routes.py declares every route):
SIGNED_IN = "signed_in"  # any signed-in user; objects fetched in scope (404 outside)
CONTENT = "content"  # record content: the A24 policy (access/policy.py), logged
PUBLIC = "public"  # no sign-in: the login page, the witness protocol (C2SP), API doc assets
ADMIN = "admin"  # Django's admin site: staff accounts with model permissions; read-only models
GUARDS = {
    SIGNED_IN: "任何已登录用户，对象限于其管辖范围（范围外 404）",
    CONTENT: "记录内容：第二十四条访问策略（access/policy.py），每次访问记入日志",
    PUBLIC: "无需登录：登录页、见证协议（C2SP）、接口文档资源",
    ADMIN: "管理后台：工作人员账号及其模型权限；执法数据模型不在后台修改",
}


# --- asking the table -----------------------------------------------------------------------


def check(user: Asker, capability: str, obj=None) -> Verdict:
    """The verdict of the table for ``user`` doing ``capability`` on ``obj``."""
    row = TABLE[capability]
    if row.about and obj is not None and label_of(obj) not in row.about:
        raise TypeError(f"{capability} is asked about {row.about}, not {label_of(obj)}")
    if not _active(user):
        return NOT_SIGNED_IN
    user = cast("User", user)  # signed in and active: a User
    if not _in_scope(user, _agency_id(obj)):
        return OUT_OF_SCOPE
    if row.changes:
        if obj is None:
            return _no("未指定对象")
        sealed = _sealed(obj)
        if sealed is not None:
            return sealed
    return row.rule(user, obj)


def can(user: Asker, capability: str, obj=None) -> bool:
    return check(user, capability, obj).allowed


def require(user: Asker, capability: str, obj=None) -> None:
    """404 outside the user's scope, 403 with the reason inside it."""
    verdict = check(user, capability, obj)
    if verdict.allowed:
        return
    if not verdict.in_scope:
        raise Http404(verdict.reason)
    raise PermissionDenied(verdict.reason)


class Perms:
    """``caps`` in templates, for capabilities asked without an object:
    ``{% if caps.act_create %}``. With an object: ``{% can "act.edit" act as may_edit %}``
    (orgs/templatetags/qc_caps.py)."""

    def __init__(self, user: Asker):
        self.user = user

    def __getitem__(self, name: str) -> bool:
        code = name.replace("_", ".", 1)
        if code not in TABLE:
            raise KeyError(name)
        return can(self.user, code)


def context_processor(request) -> dict:
    return {"caps": Perms(getattr(request, "user", None))}
