"""Organisation data: a city's commission, corps and district bodies, loaded from JSON.

Chongqing's is bundled (orgs/data/chongqing.json); another city supplies its own file.
"""

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from .models import Agency
from .services import create_agency

if TYPE_CHECKING:
    from quancheng.orgs.models import User


BUNDLED = Path(__file__).parent / "data" / "chongqing.json"
_SUFFIX = re.compile(r"(土家族苗族自治县|苗族土家族自治县|土家族自治县|区|县)$")


def short_name(district: str) -> str:
    """地区简称 for document numbers: 渝中区 → 渝中, 石柱土家族自治县 → 石柱, 忠县 → 忠县."""
    stripped = _SUFFIX.sub("", district)
    return stripped if len(stripped) >= 2 else district


def _ensure(actor: "User | None", **data) -> Agency:
    existing = Agency.objects.filter(code=data["code"]).first()
    return existing or create_agency(actor, **data)


@transaction.atomic
def load_organisation(path: Path = BUNDLED, actor: "User | None" = None) -> int:
    """Create the agencies that are missing; returns how many exist afterwards."""
    data = json.loads(path.read_text(encoding="utf-8"))
    city = data["city"]
    commission = _ensure(
        actor,
        level=Agency.Level.CITY,
        kind=Agency.Kind.COMMISSION,
        district=city["district"],
        parent=None,
        **city["commission"],
    )
    _ensure(
        actor,
        level=Agency.Level.CITY,
        kind=Agency.Kind.ENFORCEMENT,
        district=city["district"],
        parent=commission,
        **city["enforcement"],
    )
    for number, district in enumerate(data["districts"], start=1):
        short = short_name(district)
        district_commission = _ensure(
            actor,
            code=f"d{number:02d}-wjw",
            name=f"{district}卫生健康委员会",
            short_name=short,
            level=Agency.Level.DISTRICT,
            kind=Agency.Kind.COMMISSION,
            district=district,
            parent=commission,
        )
        _ensure(
            actor,
            code=f"d{number:02d}-zf",
            name=f"{district}卫生健康综合行政执法支队",
            short_name=short,
            level=Agency.Level.DISTRICT,
            kind=Agency.Kind.ENFORCEMENT,
            district=district,
            parent=district_commission,
        )
    for number, area in enumerate(data.get("special_areas", []), start=1):
        _ensure(
            actor,
            code=f"s{number:02d}",
            name=area["name"],
            short_name=area["short_name"],
            level=Agency.Level.DISTRICT,
            kind=Agency.Kind.ENFORCEMENT,
            district=area["district"],
            parent=commission,
        )
    return Agency.objects.count()
