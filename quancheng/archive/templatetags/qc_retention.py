"""Item pages' retention box and tombstone (records templates load these)."""

from django import template

from quancheng.archive.disposal import is_disposed, tombstone_of
from quancheng.archive.retention import retention_of

register = template.Library()


@register.simple_tag
def item_disposed(item) -> bool:
    """Whether the item's content was disposed of (its page then shows the tombstone)."""
    return is_disposed(item)


@register.inclusion_tag("archive/_item_retention.html")
def item_retention(item):
    """The 保管期限 box of an item, or its tombstone (销毁记录) once disposed of."""
    row = retention_of(item)
    tombstone = tombstone_of(item) if row is not None and row.disposed else None
    return {"row": row, "tombstone": tombstone}
