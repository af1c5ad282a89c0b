"""Filtering lists by completeness (记录完整性): used by the act and case lists."""

from django import forms

from .models import Completeness

UNCHECKED = "unchecked"
CHOICES = [("", "全部"), *Completeness.choices, (UNCHECKED, "未检查")]


def completeness_field() -> forms.ChoiceField:
    return forms.ChoiceField(label="记录完整性", required=False, choices=CHOICES)


def filter_completeness(queryset, value: str | None):
    """Acts or cases (both have a one-to-one ``compliance``) with the given status."""
    queryset = queryset.select_related("compliance")
    if not value:
        return queryset
    if value == UNCHECKED:
        return queryset.filter(compliance__isnull=True)
    return queryset.filter(compliance__status=value)
