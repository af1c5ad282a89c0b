"""Alerts (告警) addressed to the caller's role in the caller's scope."""

from datetime import datetime

from ninja import Query, Router, Schema

from quancheng.alerts.models import Alert

from . import responses
from .schemas import Paging
from .scope import page

router = Router(tags=["告警"])


class AlertOut(Schema):
    id: int
    kind: str
    severity: str
    title: str
    detail: dict
    agency_id: int | None
    object_type: str
    object_id: str
    created_at: datetime
    closed_at: datetime | None


class AlertFilters(Paging):
    open_only: bool = True


class AlertPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AlertOut]


@router.get("/alerts", response={200: AlertPage, **responses.LIST}, summary="告警列表")
def list_alerts(request, filters: Query[AlertFilters]):
    alerts = Alert.objects.visible_to(request.user)
    if filters.open_only:
        alerts = alerts.open()
    return page(alerts, filters)
