"""Sealed means sealed (封卷后只读): what a frozen dossier holds is read-only for everyone.

Once a dossier is frozen, its case, its acts, their document drafts and every record item in it
change through no page, API or admin; a correction is a supplement (补充归档) with its reason,
requested by the custodian and approved by the agency head (dossiers.request_supplement,
dossiers.decide_supplement): a record made later is linked to the act and, on approval, added
to the dossier as a numbered supplement; the sealed entries and files stay as they were. The
capability table asks :func:`sealed_reason` for every capability that changes something
(orgs/capabilities.py).
"""

from __future__ import annotations

from django.db.models import Q

from quancheng.records.refs import ITEM_MODELS, kind_of

from .models import Dossier, DossierEntry

FROZEN = Dossier.Status.FROZEN


def _message(dossier: Dossier) -> str:
    name = dossier.number or dossier.title
    return f"案卷{name}已封卷归档，内容不可修改；如需更正，请经机构负责人批准补充归档"


def _frozen(**lookup) -> Dossier | None:
    return Dossier.objects.filter(status=FROZEN, **lookup).only("number", "title").first()


def _of_act(act_id: int | None, case_id: int | None) -> Dossier | None:
    if act_id is None and case_id is None:
        return None
    q = Q()
    if act_id is not None:
        q |= Q(act_id=act_id)
    if case_id is not None:
        q |= Q(case_id=case_id)
    return Dossier.objects.filter(q, status=FROZEN).only("number", "title").first()


def sealing_dossier(obj) -> Dossier | None:
    """The frozen dossier that holds ``obj`` (act, case, draft or record item), if any."""
    label = obj._meta.label_lower
    if label == "cases.case":
        return _frozen(case_id=obj.pk)
    if label == "cases.act":
        return _of_act(obj.pk, obj.case_id)
    if label == "documents.documentdraft":
        return _of_act(obj.act_id, obj.act.case_id)
    if isinstance(obj, tuple(ITEM_MODELS.values())):
        entry = (
            DossierEntry.objects.filter(
                # obj: an item, by the isinstance above (a tuple mypy cannot narrow with)
                item_kind=kind_of(obj),  # type: ignore[arg-type]
                item_id=obj.pk,  # type: ignore[attr-defined]
                dossier__status=FROZEN,
            )
            .select_related("dossier")
            .first()
        )
        # Only what the dossier holds: a record arriving later for a sealed act is not sealed;
        # it waits to be added by a supplement (补充归档).
        return entry.dossier if entry is not None else None
    return None


def sealed_reason(obj) -> str:
    dossier = sealing_dossier(obj)
    return _message(dossier) if dossier is not None else ""
