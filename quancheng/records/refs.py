"""References to record items of any kind (音像记录、执法文书、电子数据) as (kind, id) pairs.

Dossiers, holds, access requests and exports name items of all three kinds; they store the
pair rather than three nullable foreign keys.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from .models import DataRecord, Document, Segment


class ItemKind(models.TextChoices):
    SEGMENT = "segment", "音像记录"
    DOCUMENT = "document", "执法文书"
    DATARECORD = "datarecord", "电子数据"


# A record item: any of the three kinds (they share act, agency and blob fields).
Item = Segment | Document | DataRecord

ITEM_MODELS: dict[str, type[Item]] = {
    ItemKind.SEGMENT: Segment,
    ItemKind.DOCUMENT: Document,
    ItemKind.DATARECORD: DataRecord,
}


def kind_of(item: models.Model) -> str:
    for kind, model in ITEM_MODELS.items():
        if isinstance(item, model):
            return kind
    raise TypeError(f"not a record item: {item!r}")


def ref_of(item: models.Model) -> tuple[str, int]:
    return kind_of(item), item.pk


def resolve(kind: str, pk: int):
    """The item a reference names; LookupError when the kind is unknown or the row is gone."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise LookupError(f"unknown item kind {kind!r}")
    return model.objects.get(pk=pk)


def resolve_many(
    refs: Iterable[tuple[str, int]], *, select_related: tuple[str, ...] = ()
) -> dict[tuple[str, int], Item]:
    """Items by reference, one query per kind (missing ones are left out)."""
    wanted: dict[str, set[int]] = {}
    for kind, pk in refs:
        wanted.setdefault(kind, set()).add(int(pk))
    found: dict[tuple[str, int], Item] = {}
    for kind, pks in wanted.items():
        items = ITEM_MODELS[kind].objects.filter(pk__in=pks)
        for item in items.select_related(*select_related) if select_related else items:
            found[(kind, item.pk)] = item
    return found


def items_of_act(act) -> list[models.Model]:
    """Every record item linked to an act."""
    return [item for model in ITEM_MODELS.values() for item in model.objects.filter(act=act)]


def items_of_case(case) -> list[models.Model]:
    """Every record item linked to a case (directly or through one of its acts)."""
    q = models.Q(case=case) | models.Q(act__case=case)
    return [item for model in ITEM_MODELS.values() for item in model.objects.filter(q)]
