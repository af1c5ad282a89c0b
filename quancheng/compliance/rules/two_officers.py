"""TWO-officers: an enforcement act is carried out by at least two officers holding valid
enforcement certificates (Administrative Penalty Law 2021, art. 42). The minimum is
configuration (min_officers)."""

from django.utils import timezone

from .base import ERROR, Context, Hit, Rule


def check(ctx: Context):
    officers = ctx.timeline.officers
    minimum = ctx.config.min_officers
    if len(officers) < minimum:
        yield Hit(
            key="count",
            params={"problem": f"执法人员{len(officers)}人，少于{minimum}人"},
        )
    day = timezone.localdate(ctx.act.started_at)
    for o in officers:
        valid = (
            o.certificate_number
            and o.certificate_valid_from is not None
            and o.certificate_valid_until is not None
            and o.certificate_valid_from <= day <= o.certificate_valid_until
        )
        if not valid:
            yield Hit(
                key=f"certificate:{o.id}",
                params={"problem": f"执法人员{o.name}在执法当日（{day:%Y-%m-%d}）无有效执法证件"},
                evidence={"officers": [o.id]},
            )


RULE = Rule(
    id="TWO-officers",
    articles=(),
    reference="《行政处罚法》第四十二条",
    severity=ERROR,
    title="两名以上持有效执法证件的执法人员",
    message="{problem}",
    check=check,
)
