"""A22-retention: evidence AV is kept as long as its dossier; other AV at least 6 months;
paper and text records with the dossier (retention classes of State Archives Administration
Order No. 8, set by the archive app) (A22).

Reads the retention the archive app computed for each item (``ItemRetention``) and the dossier
of the act or its case:
1. once the dossier is frozen (归档), every evidence AV and every document of the act must have a
   computed retention that runs at least to the dossier's end (permanent dossier: permanent);
2. an evidence AV or a document disposed of while its dossier's period runs (or before there is
   a dossier) was destroyed too early;
3. non-evidence AV must be kept at least ``av_min_retention_months`` (6) after it was recorded:
   a computed end earlier than that, or a disposal before it, is a violation.
While the dossier is being assembled its end is not known yet: check 1 waits.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from quancheng.compliance.custody import add_months, recorded_on

from .base import ERROR, PARTIAL, Context, Hit, Rule


def _until(day: dt.date | None) -> str:
    return "永久" if day is None else f"{day:%Y-%m-%d}"


def _kept_with_dossier(ctx: Context):
    """(kind, id, label) of the items kept as long as the dossier: evidence AV and documents."""
    for s in ctx.timeline.segments:
        if s.is_evidence:
            yield "segment", s.id, "用作证据的音像记录"
    for d in ctx.timeline.documents:
        yield "document", d.id, f"执法文书《{d.doc_type}》"


def _short(retain_until: dt.date | None, dossier_until: dt.date | None) -> bool:
    """An item's retention ends before the dossier's (None: permanent)."""
    if retain_until is None:
        return False
    return dossier_until is None or retain_until < dossier_until


def check(ctx: Context):
    custody = ctx.custody
    dossier = custody.dossier
    today = timezone.localdate(ctx.now)
    uncomputed, short, early = [], [], []
    for kind, pk, label in _kept_with_dossier(ctx):
        retention = custody.retentions.get((kind, pk))
        if retention is not None and retention.disposed:
            # Kept with the dossier: gone before the dossier's period ended (or began).
            ends = dossier.retain_until if dossier is not None and dossier.frozen else None
            if ends is None or today <= ends:
                early.append((kind, pk, label))
            continue
        if dossier is None or not dossier.frozen:
            continue
        if retention is None:
            uncomputed.append((kind, pk, label))
        elif _short(retention.retain_until, dossier.retain_until):
            short.append((kind, pk, label, retention.retain_until))
    dossier_until = _until(dossier.retain_until) if dossier else ""
    if uncomputed:
        yield Hit(
            key="uncomputed",
            params={
                "problem": f"案卷已归档，但{len(uncomputed)}项"
                f"{'、'.join(sorted({x[2] for x in uncomputed}))}未确定保管期限"
            },
            evidence=_items(uncomputed, dossier=dossier.id if dossier else None),
        )
    if short:
        yield Hit(
            key="short",
            params={
                "problem": f"{len(short)}项{'、'.join(sorted({x[2] for x in short}))}的保管期限"
                f"（至{'、'.join(sorted({_until(x[3]) for x in short}))}）"
                f"短于所在案卷的保管期限（{dossier_until}）"
            },
            evidence=_items(short, dossier=dossier.id if dossier else None),
        )
    if early:
        yield Hit(
            key="disposed",
            params={
                "problem": f"{len(early)}项{'、'.join(sorted({x[2] for x in early}))}"
                "在案卷保管期满前已被销毁"
            },
            evidence=_items(early, dossier=dossier.id if dossier else None),
        )
    yield from _non_evidence(ctx, today)


def _non_evidence(ctx: Context, today: dt.date):
    months = ctx.config.av_min_retention_months
    short, early = [], []
    for s in ctx.timeline.segments:
        retention = ctx.custody.retentions.get(("segment", s.id))
        if s.is_evidence or retention is None:
            continue
        recorded = recorded_on(s)
        if recorded is None:
            continue
        minimum = add_months(recorded, months)
        if retention.disposed and today < minimum:
            early.append(("segment", s.id, "", minimum))
        elif retention.retain_until is not None and retention.retain_until < minimum:
            short.append(("segment", s.id, "", minimum))
    if short:
        yield Hit(
            key="av_short",
            params={
                "problem": f"{len(short)}段未用作证据的音像记录保管期限不足{months}个月"
                f"（应至少保存至{min(x[3] for x in short):%Y-%m-%d}）"
            },
            evidence=_items(short),
        )
    if early:
        yield Hit(
            key="av_disposed",
            params={"problem": f"{len(early)}段未用作证据的音像记录在保存满{months}个月前已被销毁"},
            evidence=_items(early),
        )


def _items(rows, **extra) -> dict:
    segments = [pk for kind, pk, *_ in rows if kind == "segment"]
    documents = [pk for kind, pk, *_ in rows if kind == "document"]
    evidence = {k: v for k, v in extra.items() if v is not None}
    if segments:
        evidence["segments"] = segments
    if documents:
        evidence["documents"] = documents
    return evidence


RULE = Rule(
    id="A22-retention",
    articles=("A22",),
    reference="第二十二条",
    severity=ERROR,
    title="记录资料归档与保存期限",
    message="{problem}",
    check=check,
    checkable=PARTIAL,
    note="依据归档功能计算的各项记录保管期限核对；案卷保管期限（永久、30年、10年）的确定"
    "由归档功能按国家档案局令第8号及市级配置完成，本规则不重复判断。",
)
