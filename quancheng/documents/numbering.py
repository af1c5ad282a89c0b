"""Document numbers in the two styles of 卫生行政执法文书规范 第四条.

文号: 地区简称 + 卫 + category + nature + 〔year〕 + serial + 号, e.g. 渝中卫医罚〔2026〕12号, for
the types whose form has a 文号 slot. 编号: year + "—" + serial, e.g. 2026—001, for the types
whose form has an "编号：" slot (现场笔录, 卫生监督意见书 …); the serial is zero-padded to the
agency's ``bianhao_width`` (3 by default) and runs per agency and year.

Serials run per agency, category, nature and year (编号: per agency and year) from one counter
row, locked with ``select_for_update`` inside the caller's (finalising) transaction: a number is
issued only when the document is finalised, and a failed finalisation rolls the serial back, so
there are no gaps and no duplicates.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from quancheng.orgs.models import Agency
from quancheng.records.models import Document

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


def category_for(doc_type, subject, config: NumberingConfig | None = None) -> str:
    if doc_type.category:
        return doc_type.category
    kind = getattr(subject, "kind", "")
    configured = (config.categories or {}) if config is not None else {}
    return configured.get(kind) or CATEGORY_BY_SUBJECT_KIND.get(kind, DEFAULT_CATEGORY)


def format_number(config: NumberingConfig, category: str, nature: str, year: int, serial: int):
    digits = str(serial).zfill(config.serial_width or 1)
    return f"{config.region}{config.sector}{category}{nature}〔{year}〕{digits}号"


def next_serial(agency: Agency, category: str, nature: str, year: int) -> int:
    """Take the next serial; must run inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_serial must run inside the finalising transaction")
    key = {"agency": agency, "category": category, "nature": nature, "year": year}
    try:
        # savepoint: losing the creation race must not roll back the finalising transaction
        with transaction.atomic():
            NumberCounter.objects.get_or_create(**key)  # type: ignore[arg-type]  # key: field lookups
    except IntegrityError:
        pass
    counter = NumberCounter.objects.select_for_update().get(**key)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial


# The counter key of the 编号 series (one per agency and year); no 执法类别 is spelled so.
BIANHAO_SERIES = "编号"
# 87号 第四条's example writes 2002—001 with an em dash; hyphens and other dashes written on
# paper are read as the same number.
BIANHAO_DASH = "—"
DASHES = "-—－–―"  # the hyphen first: a literal in the regex class below


def format_bianhao(config: NumberingConfig, year: int, serial: int) -> str:
    return f"{year}{BIANHAO_DASH}{str(serial).zfill(config.bianhao_width or 1)}"


def issue_number(agency: Agency, doc_type, subject, year: int) -> str:
    config = numbering_config(agency)
    if doc_type.number_style == "bianhao":
        return format_bianhao(config, year, next_serial(agency, BIANHAO_SERIES, "", year))
    category = category_for(doc_type, subject, config)
    serial = next_serial(agency, category, doc_type.nature, year)
    return format_number(config, category, doc_type.nature, year, serial)


# 地区简称 + 卫 + category + nature + 〔year〕 + serial + 号 (the brackets are 〔〕, U+3014/U+3015).
NUMBER_RE = re.compile(r"(?P<prefix>\S+?)〔(?P<year>\d{4})〕(?P<serial>\d{1,6})号")
# 年份 + 序号, e.g. 2026—001.
BIANHAO_RE = re.compile(rf"(?P<year>\d{{4}})[{DASHES}](?P<serial>\d{{1,6}})")


def bianhao_spellings(year: int, serial: str) -> list[str]:
    """Every way the same 编号 may be written (dash variants, no spaces)."""
    return [f"{year}{dash}{serial}" for dash in DASHES]


def check_document_number(agency: Agency, number: str, *, exclude_pk=None) -> None:
    """Check the number written on a paper or uploaded document before it is registered.

    Either style of 第四条: a 文号 of the agency's format (e.g. 渝中卫医罚〔2026〕12号: the
    agency's region and sector first, a plausible year, a serial) or an 编号 (e.g. 2026—001: a
    plausible year, a serial). No other document of the agency may carry the same number in the
    same style (an 编号 written with another dash is the same number). Raises ValidationError on
    ``number`` naming what is wrong.
    """

    config = numbering_config(agency)
    expected_prefix = f"{config.region}{config.sector}"
    this_year = timezone.localdate().year
    example = format_number(config, "医", "罚", this_year, 12)
    number = (number or "").strip()
    bianhao = BIANHAO_RE.fullmatch(number)
    if bianhao is not None:
        year = int(bianhao["year"])
        if not 1990 <= year <= this_year:
            raise _number_error(f"文书编号中的年份{year}不合理", "number_year")
        taken = Document.objects.filter(
            agency=agency, number__in=bianhao_spellings(year, bianhao["serial"])
        )
        if exclude_pk is not None:
            taken = taken.exclude(pk=exclude_pk)
        if taken.exists():
            raise _number_error(f"文书编号“{number}”已被本机构的其他文书使用", "number_taken")
        return
    match = NUMBER_RE.fullmatch(number)
    if match is None:
        raise _number_error(
            f"文书编号“{number}”格式不正确，应如文号“{example}”"
            f"或编号“{format_bianhao(config, this_year, 1)}”",
            "number_format",
        )
    if not match["prefix"].startswith(expected_prefix):
        raise _number_error(
            f"文书编号“{number}”应以本机构的“{expected_prefix}”开头，如“{example}”",
            "number_agency",
        )
    year = int(match["year"])
    if not 1990 <= year <= this_year:
        raise _number_error(f"文书编号中的年份{year}不合理", "number_year")
    taken = Document.objects.filter(agency=agency, number=number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _number_error(f"文书编号“{number}”已被本机构的其他文书使用", "number_taken")


def _number_error(message: str, code: str) -> ValidationError:
    return ValidationError({"number": [ValidationError(message, code=code)]})


def check_claimed_number(sender, *, agency: Agency, number: str, **kwargs) -> None:
    """The number a scan or a terminal's document brings, checked before it is registered
    (records.signals.document_number_claimed); a ValidationError refuses the document."""
    check_document_number(agency, number)
