"""Alerts (告警) addressed to the caller's role in the caller's scope."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

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
    object_url: str = Field("", description="告警对象的页面（执法行为、音像记录等），无则为空")

    @staticmethod
    def resolve_object_url(alert) -> str:
        return alert.get_object_url()


class AlertFilters(Paging):
    open_only: bool = True
    kind: str = Field("", max_length=64, description="只看该类型的告警，如 record.missing_av")


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
    if filters.kind:
        alerts = alerts.filter(kind=filters.kind)
    return page(alerts, filters)
