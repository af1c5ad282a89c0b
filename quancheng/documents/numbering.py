"""Document numbers (文号): 地区简称 + 卫 + category + nature + 〔year〕 + serial + 号.

E.g. 渝中卫医罚〔2026〕12号. Serials run per agency, category, nature and year from one counter
row, locked with ``select_for_update`` inside the caller's (finalising) transaction: a number is
issued only when the document is finalised, and a failed finalisation rolls the serial back, so
there are no gaps and no duplicates.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from quancheng.orgs.models import Agency

from .models import NumberCounter, NumberingConfig

# Enforcement category (执法类别) by the subject's kind, when the type names none.
CATEGORY_BY_SUBJECT_KIND = {
    "medical": "医",
    "public_place": "公",
    "drinking_water": "水",
    "school": "校",
    "occupational": "职",
    "radiation": "放",
    "infectious": "传",
    "disinfection": "消",
    "blood": "血",
    "family_planning": "计",
}
DEFAULT_CATEGORY = "监"


def numbering_config(agency: Agency) -> NumberingConfig:
    config = NumberingConfig.objects.filter(agency=agency).first()
    return config or NumberingConfig(agency=agency, region=agency.short_name)


def category_for(doc_type, subject) -> str:
    if doc_type.category:
        return doc_type.category
    return CATEGORY_BY_SUBJECT_KIND.get(getattr(subject, "kind", ""), DEFAULT_CATEGORY)


def format_number(config: NumberingConfig, category: str, nature: str, year: int, serial: int):
    digits = str(serial).zfill(config.serial_width or 1)
    return f"{config.region}{config.sector}{category}{nature}〔{year}〕{digits}号"


def next_serial(agency: Agency, category: str, nature: str, year: int) -> int:
    """Take the next serial; must run inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_serial must run inside the finalising transaction")
    key = {"agency": agency, "category": category, "nature": nature, "year": year}
    try:
        with transaction.atomic():  # a savepoint: losing the creation race is not fatal
            NumberCounter.objects.get_or_create(**key)
    except IntegrityError:
        pass
    counter = NumberCounter.objects.select_for_update().get(**key)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial


def issue_number(agency: Agency, doc_type, subject, year: int) -> str:
    config = numbering_config(agency)
    category = category_for(doc_type, subject)
    serial = next_serial(agency, category, doc_type.nature, year)
    return format_number(config, category, doc_type.nature, year, serial)
