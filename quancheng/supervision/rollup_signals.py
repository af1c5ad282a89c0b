"""Marks for the statistics rollups, written in the transaction of each change they count.

The lower apps announce their changes with Django's model signals (and compliance's
``acts_checked`` for its one bulk insert); this module reacts by marking the cells the change
reaches (``rollups.mark_*``). Connected in ``apps.SupervisionConfig.ready``. A bulk load that
bypasses the signals calls ``rollups.rebuild_rollups`` afterwards.
"""

from __future__ import annotations

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from quancheng.access.models import AccessRequest, Provision
from quancheng.cases.models import Act
from quancheng.compliance.models import ActCompliance, Finding
from quancheng.compliance.signals import acts_checked
from quancheng.records.models import Segment
from quancheng.registration.models import ActRegistration, HolidaySchedule

from .rollups import mark_act, mark_acts, mark_cell, mark_everything


def _act_moving(sender, instance, raw=False, **kwargs):
    """Before an act is saved: its old cell, when the month, agency or kind changes; when the
    kind changes, also the cells of the requests and provisions that name it."""
    if raw or instance._state.adding or instance.pk is None:
        return
    old = Act.objects.filter(pk=instance.pk).values("started_at", "agency_id", "kind").first()
    if old is None:
        return
    if (old["started_at"], old["agency_id"], old["kind"]) != (
        instance.started_at,
        instance.agency_id,
        instance.kind,
    ):
        mark_cell(old["started_at"], old["agency_id"], old["kind"])
    if old["kind"] != instance.kind:
        for model, moment in ((AccessRequest, "requested_at"), (Provision, "provided_on")):
            for when, agency_id in model.objects.filter(
                act_id=instance.pk, **{f"{moment}__isnull": False}
            ).values_list(moment, "agency_id"):
                mark_cell(when, agency_id, old["kind"])
                mark_cell(when, agency_id, instance.kind)


def _act_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        mark_act(instance.pk)


def _act_deleted(sender, instance, **kwargs):
    mark_cell(instance.started_at, instance.agency_id, instance.kind)


def _officers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        mark_act(instance.pk)
        return
    # From the officer's side: the acts named, or (clear) every act of the officer.
    ids = pk_set if action != "pre_clear" else instance.acts.values_list("pk", flat=True)
    for act_id in ids or ():
        mark_act(act_id)


def _of_act(sender, instance, raw=False, **kwargs):
    if not raw:
        mark_act(instance.act_id)


def _segment_moving(sender, instance, raw=False, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        return
    old = Segment.objects.filter(pk=instance.pk).values_list("act_id", flat=True).first()
    if old is not None and old != instance.act_id:
        mark_act(old)


def _act_kind(instance) -> str:
    if instance.act_id is None:
        return ""
    cached = instance._state.fields_cache.get("act")
    if cached is not None and cached.pk == instance.act_id:
        return cached.kind
    return Act.objects.filter(pk=instance.act_id).values_list("kind", flat=True).first() or ""


def _access_cell(model, moment: str):
    """Handlers for a row counted in the cell of its own date, its own agency and its act's
    kind (access requests by request time, provisions by provision date)."""

    def moving(sender, instance, raw=False, **kwargs):
        if raw or instance._state.adding or instance.pk is None:
            return
        old = model.objects.filter(pk=instance.pk).values(moment, "agency_id", "act_id").first()
        if old is None or old[moment] is None:
            return
        if (old[moment], old["agency_id"], old["act_id"]) != (
            getattr(instance, moment),
            instance.agency_id,
            instance.act_id,
        ):
            kind = (
                Act.objects.filter(pk=old["act_id"]).values_list("kind", flat=True).first()
                if old["act_id"]
                else ""
            )
            mark_cell(old[moment], old["agency_id"], kind or "")

    def changed(sender, instance, raw=False, **kwargs):
        when = getattr(instance, moment)
        if not raw and when is not None:
            mark_cell(when, instance.agency_id, _act_kind(instance))

    return moving, changed


def connect() -> None:
    uid = "supervision.rollups"
    pre_save.connect(_act_moving, sender=Act, dispatch_uid=f"{uid}.act_moving")
    post_save.connect(_act_saved, sender=Act, dispatch_uid=f"{uid}.act_saved")
    post_delete.connect(_act_deleted, sender=Act, dispatch_uid=f"{uid}.act_deleted")
    m2m_changed.connect(
        _officers_changed, sender=Act.officers.through, dispatch_uid=f"{uid}.officers"
    )
    act_models: tuple[type[models.Model], ...] = (ActCompliance, Finding, ActRegistration, Segment)
    for model in act_models:
        name = model._meta.label_lower
        post_save.connect(_of_act, sender=model, dispatch_uid=f"{uid}.{name}.saved")
        post_delete.connect(_of_act, sender=model, dispatch_uid=f"{uid}.{name}.deleted")
    pre_save.connect(_segment_moving, sender=Segment, dispatch_uid=f"{uid}.segment_moving")
    access_models: tuple[tuple[type[models.Model], str], ...] = (
        (AccessRequest, "requested_at"),
        (Provision, "provided_on"),
    )
    for model, moment in access_models:
        name = model._meta.label_lower
        moving, changed = _access_cell(model, moment)
        pre_save.connect(moving, sender=model, weak=False, dispatch_uid=f"{uid}.{name}.moving")
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.{name}.saved")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}.{name}.deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            _calendar_changed, sender=HolidaySchedule, dispatch_uid=f"{uid}.calendar.{signal}"
        )
    acts_checked.connect(_acts_checked, dispatch_uid=f"{uid}.acts_checked")


def _calendar_changed(sender, raw=False, **kwargs):
    # Working days changed: every registration delay may have (A21).
    if not raw:
        mark_everything()


def _acts_checked(sender, act_ids, **kwargs):
    mark_acts(act_ids)
