"""Compliance on other apps' pages.

Usage: {% load qc_compliance %}{% next_steps_box act %} and {% compliance_panel act %} on the
act page,
{% segment_markers segment %} on the segment page, ``{{ request.GET.t|media_start }}`` after a
player's src, and ``{{ obj.compliance|completeness_badge }}`` in lists.
"""

from django import template
from django.utils.html import format_html

from quancheng.compliance.checklist import next_steps, split_steps
from quancheng.compliance.config import current_config
from quancheng.compliance.drawing import draw
from quancheng.compliance.evaluate import timeline_and_findings
from quancheng.compliance.models import Explanation, Finding, Marker
from quancheng.compliance.rules import BY_ID
from quancheng.orgs import capabilities as caps

register = template.Library()


@register.inclusion_tag("compliance/_act_panel.html", takes_context=True)
def compliance_panel(context, act):
    user = context["request"].user
    timeline, findings = timeline_and_findings(act)
    config = current_config()
    gap_seconds = config.tolerance("gap_seconds")
    names = {o.id: o.name for o in timeline.officers}
    by_officer = [
        (names.get(officer_id, "未知执法人员") if officer_id else "未知执法人员", ratio)
        for officer_id, ratio in sorted(
            timeline.coverage_by_officer().items(), key=lambda kv: kv[0] or 0
        )
    ]
    for finding in findings:
        rule = BY_ID.get(finding.rule_id)
        finding.rule_title = rule.title if rule else ""
    may_answer = caps.can(user, caps.ACT_EXPLAIN, act)
    return {
        "act": act,
        "status": getattr(act, "compliance", None),
        "timeline": timeline,
        "drawing": draw(timeline, gap_seconds, names),
        "coverage": timeline.coverage_ratio(),
        "coverage_by_officer": by_officer,
        "gaps": timeline.gaps(gap_seconds),
        "overlaps": timeline.overlaps(),
        "findings": findings,
        "explanations": list(
            Explanation.objects.filter(act=act).select_related("requested_by", "decided_by")
        ),
        "explanation_kinds": Explanation.Kind.choices,
        "reasons": [c for c in Explanation.Reason.choices if c[0]],
        "may_answer": may_answer,
        "may_explain": may_answer,
        "is_head": caps.can(user, caps.ACT_REVIEW, act),
        "may_evaluate": caps.can(user, caps.ACT_EVALUATE, act),
        "answerable": (Finding.Status.OPEN, Finding.Status.RETURNED),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("compliance/_next_steps.html", takes_context=True)
def next_steps_box(context, act):
    """The checklist at the top of the act page (待办事项; empty: 本次执法记录已齐全): the
    user's own steps (你还需要做的) first, then those awaiting others (待他人处理)."""
    steps = next_steps(act, context["request"].user)
    mine, others = split_steps(steps)
    return {"act": act, "steps": steps, "mine": mine, "others": others}


@register.inclusion_tag("compliance/_segment_markers.html", takes_context=True)
def segment_markers(context, segment):
    user = context["request"].user
    return {
        "segment": segment,
        "markers": list(
            Marker.objects.filter(segment=segment).select_related("created_by", "withdrawn_by")
        ),
        "kinds": Marker.Kind.choices,
        "may_mark": caps.can(user, caps.MARKER_CHANGE, segment),
        "start": context["request"].GET.get("t", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def media_start(value) -> str:
    """``?t=90`` → ``#t=90`` (a media fragment: the player starts there); anything else → ''."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return ""
    if not 0 <= seconds < 10**7:
        return ""
    return f"#t={seconds:g}"


@register.filter
def completeness_badge(compliance):
    # A missing one-to-one row renders as "" in templates (ObjectDoesNotExist is silent).
    if not compliance:
        return format_html('<span class="badge muted">{}</span>', "未检查")
    return format_html(
        '<span class="badge completeness-{}">{}</span>',
        compliance.status,
        compliance.get_status_display(),
    )


@register.filter
def percent(value) -> str:
    return f"{value * 100:.0f}%"
