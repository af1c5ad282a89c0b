"""Who may view, play or download a record item (A24): the one place that decides.

Metadata lists (which items exist) stay governed by ``orgs/scoping.py``; this module governs
content and detail pages. The matrix (docs/access.md):

* involved officers — officers of the item's act or case, the segment's own officer and the
  person who registered the item — view, play and download;
* the records custodian (记录管理专人) and the head (机构负责人) of the item's agency view, play
  and download;
* the legal auditor (法制稽查) views and plays within scope, never downloads;
* everyone else (colleagues not on the act, district commission, city users, administrators)
  needs an approved, unexpired access request (调阅申请) covering the item: its case, its act or
  the item itself; a download only when the approval allows it.

Every check is scoped first: an item outside the user's scope is refused whatever the role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from quancheng.cases.models import Act, Case
from quancheng.orgs.models import Agency, Role
from quancheng.records.refs import ITEM_MODELS, kind_of

if TYPE_CHECKING:
    from quancheng.orgs.models import User


VIEW = "view"
PLAY = "play"
DOWNLOAD = "download"
ACTIONS = (VIEW, PLAY, DOWNLOAD)
ACTION_LABELS = {VIEW: "查看", PLAY: "播放", DOWNLOAD: "下载"}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason_code: str
    reason_zh: str
    via_request_id: int | None = None

    def __bool__(self) -> bool:
        return self.allowed

    def event_body(self) -> dict:
        """What an allowed access adds to its ledger event: the approval it relied on."""
        return {"access_request": self.via_request_id} if self.via_request_id else {}


REASONS = {
    "involved": "承办该执法行为或案件的执法人员",
    "custodian": "本机构记录管理专人",
    "head": "本机构负责人",
    "auditor": "法制稽查（可查看、播放，不可下载）",
    "request": "已批准的调阅申请",
    "auditor_no_download": "法制稽查无下载权限，如需下载请提交调阅申请",
    "request_no_download": "调阅申请未批准下载，如需下载请重新申请",
    "needs_request": "您不是该记录的承办人员，查看、播放或下载须经机构负责人批准调阅申请",
    "out_of_scope": "该记录不在您的管辖范围内",
    "anonymous": "请先登录",
    "administrator": "系统管理员、安全管理员、审计管理员和应急账号不得查看记录内容（三员分立）",
}


def _allow(code: str, request_id: int | None = None) -> Decision:
    return Decision(True, code, REASONS[code], request_id)


def _refuse(code: str) -> Decision:
    return Decision(False, code, REASONS[code])


class _Facts:
    """What the decisions about a batch of items need, fetched in a handful of queries."""

    def __init__(self, user: User, items: list):
        now = timezone.now()
        act_ids = {i.act_id for i in items if i.act_id}
        self.case_of_act = dict(Act.objects.filter(pk__in=act_ids).values_list("pk", "case_id"))
        direct_case_ids = {_case_id(i) for i in items if _case_id(i)}
        # Cases the user handles, reached directly or through the items' acts: one query,
        # however many items (lists stay at a fixed number of queries).
        self.my_cases = set(
            Case.officers.through.objects.filter(user=user)
            .filter(Q(case_id__in=direct_case_ids) | Q(case__acts__in=act_ids))
            .values_list("case_id", flat=True)
        )
        self.my_acts = set(
            Act.officers.through.objects.filter(user=user, act_id__in=act_ids).values_list(
                "act_id", flat=True
            )
        )
        agency_ids = {i.agency_id for i in items}
        self.district = dict(Agency.objects.filter(pk__in=agency_ids).values_list("pk", "district"))
        from .models import AccessRequest

        self.requests = list(
            AccessRequest.objects.in_force(now)
            .filter(requested_by=user)
            .order_by("-allow_download", "-expires_at")
        )

    def case_id(self, item) -> int | None:
        return _case_id(item) or self.case_of_act.get(item.act_id)


def _case_id(item) -> int | None:
    return getattr(item, "case_id", None)


def item_kind_of(item) -> str:
    """The item's kind; a document draft (文书草稿) is judged as content of its act."""
    if isinstance(item, tuple(ITEM_MODELS.values())):
        return kind_of(item)  # type: ignore[arg-type]  # an item, by the isinstance above
    return item._meta.label_lower


def _in_scope(user: User, item, facts: _Facts) -> bool:
    if user.sees_whole_city:
        return True
    return user.agency is not None and facts.district.get(item.agency_id) == user.agency.district


def _involved(user: User, item, facts: _Facts) -> bool:
    if getattr(item, "officer_id", None) == user.pk or item.created_by_id == user.pk:
        return True
    if item.act_id in facts.my_acts:
        return True
    case_id = facts.case_id(item)
    return case_id is not None and case_id in facts.my_cases


def _covering_request(item, facts: _Facts):
    kind = item_kind_of(item)
    case_id = facts.case_id(item)
    for r in facts.requests:  # download-allowing approvals first
        if r.agency_id != item.agency_id:
            continue
        if (
            (r.case_id and r.case_id == case_id)
            or (r.act_id and r.act_id == item.act_id)
            or (r.item_id and r.item_kind == kind and r.item_id == item.pk)
        ):
            return r
    return None


def _decide(user: User, item, action: str, facts: _Facts) -> Decision:
    if action not in ACTIONS:
        raise ValueError(f"unknown access action {action!r}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _refuse("anonymous")
    # 三员分立 (docs/security.md): the administrators run the platform, never read its records;
    # nor does the break-glass account, which exists to repair access, not to read.
    if getattr(user, "is_administrator", False):
        return _refuse("administrator")
    if not _in_scope(user, item, facts):
        return _refuse("out_of_scope")
    if _involved(user, item, facts):
        return _allow("involved")
    own_agency = user.agency_id == item.agency_id
    if own_agency and user.role == Role.CUSTODIAN:
        return _allow("custodian")
    if own_agency and user.role == Role.HEAD:
        return _allow("head")
    if user.role == Role.AUDITOR and action != DOWNLOAD:
        return _allow("auditor")
    request = _covering_request(item, facts)
    if request is not None:
        if action == DOWNLOAD and not request.allow_download:
            return _refuse("request_no_download")
        return _allow("request", request.pk)
    if user.role == Role.AUDITOR:
        return _refuse("auditor_no_download")
    return _refuse("needs_request")


def decide(user: User, item, action: str) -> Decision:
    """May ``user`` view, play or download ``item`` (a segment, document or data record)?"""
    return _decide(user, item, action, _Facts(user, [item]))


def decide_many(user: User, items: Iterable, action: str) -> dict[tuple[str, int], Decision]:
    """The decision for each item, by (kind, id), in a fixed number of queries."""
    items = list(items)
    if not items:
        return {}
    facts = _Facts(user, items)
    return {(item_kind_of(i), i.pk): _decide(user, i, action, facts) for i in items}


def allowed_ids(user: User, items: Iterable, action: str = VIEW) -> set[tuple[str, int]]:
    """The (kind, id) references of the items the user may access, for lists."""
    return {ref for ref, d in decide_many(user, items, action).items() if d.allowed}


def mark_allowed(user: User, items: Iterable, action: str = VIEW) -> list:
    """The items, each with ``access_allowed`` set, so a list shows a link or "申请调阅"."""
    items = list(items)
    allowed = allowed_ids(user, items, action)
    for item in items:
        item.access_allowed = (item_kind_of(item), item.pk) in allowed
    return items
