"""The navigation (主导航): six menus by task, each item shown to those its route admits.

An item is a page's URL name; whether a person sees it is what the route declares in
``routes.py`` for reading it (a row of the capability table, or one of its guards), so the menus
never offer a page that would answer 403. A menu with no item left is not shown. The head's
pending decisions (审批待办) badge the 审批 menu; open alerts badge the 监督 menu.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quancheng.access.inbox import inbox_count
from quancheng.alerts.models import Alert
from quancheng.orgs import capabilities as caps

from .routes import capability_of

if TYPE_CHECKING:
    from quancheng.orgs.models import User


@dataclass(frozen=True)
class Item:
    route: str  # URL name
    label: str
    # View-name prefixes of the pages that belong to this item (its detail and form pages).
    sections: tuple[str, ...] = ()
    badge: str = ""  # "approvals" or "alerts"


@dataclass(frozen=True)
class Menu:
    key: str
    label: str
    items: tuple[Item, ...]


MENUS: tuple[Menu, ...] = (
    Menu(
        "enforcement",
        "执法",
        (
            Item("subject_list", "执法对象", ("subject_",)),
            Item("act_list", "执法行为", ("act_", "documents:", "compliance:act_")),
            Item("case_list", "案件", ("case_",)),
        ),
    ),
    Menu(
        "records",
        "记录",
        (
            Item("records_queue", "待关联记录", ("records_queue", "segment_", "records_")),
            Item("registration_list", "记录登记", ("registration_",)),
            Item("device_list", "设备", ("device_",)),
        ),
    ),
    Menu(
        "approvals",
        "审批",
        (
            Item("access:inbox", "审批待办", badge="approvals"),
            Item("access:request_list", "调阅申请", ("access:request_",)),
            Item("extraction:extraction_list", "证据提取", ("extraction:extraction_",)),
            Item(
                "extraction:provision_list",
                "对外提供",
                ("extraction:provision_", "extraction:redaction_"),
            ),
            Item("retention:hold_list", "长期保存", ("retention:hold_",)),
        ),
    ),
    Menu(
        "archive",
        "档案",
        (
            Item("archive:dossier_list", "案卷", ("archive:dossier_", "archive:transfer_")),
            Item("archive:dossier_queue", "待组卷"),
            Item("retention:disposal_list", "保管与销毁", ("retention:disposal_",)),
            Item("retention:offline_list", "离线备份", ("retention:offline_",)),
            Item(
                "retention:config",
                "保管期限配置",
                ("retention:config", "retention:retention_rules"),
            ),
        ),
    ),
    Menu(
        "supervision",
        "监督",
        (
            Item("alert_list", "告警", ("alert_",), badge="alerts"),
            Item("statistics", "统计", ("statistics",)),
            Item("spot:spotcheck_list", "案卷抽查", ("spot:spotcheck_",)),
            Item("spot:evaluation_list", "考评", ("spot:evaluation_", "spot:sheet_")),
            Item("access:report", "访问记录报告", ("access:report",)),
            Item("compliance:config", "检查规则", ("compliance:config",)),
            Item("compliance:traceability", "条款与测试对照", ("compliance:traceability",)),
        ),
    ),
    Menu(
        "system",
        "系统",
        (
            Item("ledger", "账本与校验", ("ledger",)),
            Item("fixity_sweeps", "完整性校验", ("fixity_",)),
            Item("witness_overview", "见证", ("witness_",)),
            Item("login_lock_list", "登录锁定", ("login_",)),
            Item("admin_action_list", "管理员操作记录", ("admin_action_",)),
            Item("admin:index", "管理后台", ("admin:",)),
            Item("api:openapi-view", "接口文档"),
        ),
    ),
)


def may_open(user: User, route: str) -> bool:
    """Whether ``user`` may read the page of ``route``, as routes.py declares it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    capability = capability_of(route, "GET")
    if capability in (caps.SIGNED_IN, caps.CONTENT, caps.PUBLIC):
        return True
    if capability == caps.ADMIN:
        return user.is_staff
    if capability in caps.TABLE:
        return caps.can(user, capability)
    raise KeyError(f"{route} declares no capability in quancheng/web/routes.py")


@dataclass
class ShownItem:
    route: str
    label: str
    current: bool
    badge: int = 0


@dataclass
class ShownMenu:
    key: str
    label: str
    items: list[ShownItem] = field(default_factory=list)
    current: bool = False
    badge: int = 0


def _belongs(view_name: str, item: Item) -> bool:
    return view_name == item.route or any(view_name.startswith(s) for s in item.sections)


def _badges(user: User, menus: list[Menu]) -> dict[str, int]:
    """Counted only when an item showing them is visible."""

    wanted = {item.badge for menu in menus for item in menu.items if item.badge}
    counts = {}
    if "approvals" in wanted:
        counts["approvals"] = inbox_count(user)
    if "alerts" in wanted:
        counts["alerts"] = Alert.objects.visible_to(user).open().count()
    return counts


def menus_for(user: User, view_name: str = "") -> list[ShownMenu]:
    """The menus ``user`` sees, on the page named ``view_name`` (marks the current one)."""
    visible = [
        Menu(m.key, m.label, tuple(i for i in m.items if may_open(user, i.route))) for m in MENUS
    ]
    visible = [m for m in visible if m.items]
    counts = _badges(user, visible)
    shown = []
    for menu in visible:
        entry = ShownMenu(menu.key, menu.label)
        for item in menu.items:
            badge = counts.get(item.badge, 0)
            current = bool(view_name) and _belongs(view_name, item)
            entry.items.append(ShownItem(item.route, item.label, current, badge))
            entry.badge += badge
            entry.current = entry.current or current
        shown.append(entry)
    return shown
