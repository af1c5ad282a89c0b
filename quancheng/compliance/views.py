"""Compliance pages: forms posted from the act and segment pages, the rule configuration and the
traceability table. Each checks access, calls a service and redirects back with a message."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quancheng.cases.models import Act
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.models import Segment
from quancheng.versioning import services as versions

from . import services
from .config import KIND, current_config, save_config
from .evaluate import evaluate_act
from .forms import ConfigForm, ExplanationForm
from .models import Explanation, Finding, Marker
from .rules import RULES
from .traceability import build, extra_rules


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for errors in error.message_dict.values() for m in errors]
    return list(error.messages)


def _done(request, url: str, call, success: str):
    """Run a service call; its error (or refusal) as a message, then back to the page."""
    try:
        call()
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "无权进行此操作")
    else:
        messages.success(request, success)
    return redirect(url)


def _act_url(act) -> str:
    return act.get_absolute_url() + "#compliance"


@require_POST
def marker_add(request, pk):
    segment = get_visible_or_404(Segment.objects.select_related("agency"), request.user, pk=pk)
    caps.require(request.user, caps.MARKER_CHANGE, segment)
    post = request.POST
    return _done(
        request,
        segment.get_absolute_url() + "#markers",
        lambda: services.add_marker(
            request.user,
            segment,
            post.get("kind", ""),
            post.get("offset_seconds"),
            post.get("note", ""),
        ),
        "已添加标记",
    )


@require_POST
def marker_withdraw(request, pk):
    marker = get_visible_or_404(
        Marker.objects.select_related("segment__agency"), request.user, pk=pk
    )
    caps.require(request.user, caps.MARKER_CHANGE, marker.segment)
    return _done(
        request,
        marker.segment.get_absolute_url() + "#markers",
        lambda: services.withdraw_marker(request.user, marker, request.POST.get("reason", "")),
        "已撤销标记",
    )


@require_POST
def explanation_add(request, pk):
    act = get_visible_or_404(Act.objects.select_related("agency"), request.user, pk=pk)
    form = ExplanationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"说明填写有误：{message}")
        return redirect(_act_url(act))
    data = form.cleaned_data
    return _done(
        request,
        _act_url(act),
        lambda: services.add_explanation(
            request.user,
            act,
            data["kind"],
            data["text"],
            reason=data.get("reason") or "",
            gap_started_at=data.get("gap_started_at"),
            gap_ended_at=data.get("gap_ended_at"),
        ),
        "已提交说明",
    )


@require_POST
def explanation_review(request, pk):
    explanation = get_visible_or_404(
        Explanation.objects.select_related("act__agency"), request.user, pk=pk
    )
    accept = request.POST.get("decision") == "accept"
    return _done(
        request,
        _act_url(explanation.act),
        lambda: services.review_explanation(
            request.user, explanation, accept, request.POST.get("note", "")
        ),
        "已审核同意" if accept else "已退回",
    )


@require_POST
def finding_answer(request, pk):
    finding = get_visible_or_404(Finding.objects.select_related("act__agency"), request.user, pk=pk)
    return _done(
        request,
        _act_url(finding.act),
        lambda: services.answer_finding(request.user, finding, request.POST.get("answer", "")),
        "已答复",
    )


@require_POST
def finding_decide(request, pk):
    finding = get_visible_or_404(Finding.objects.select_related("act__agency"), request.user, pk=pk)
    accept = request.POST.get("decision") == "accept"
    return _done(
        request,
        _act_url(finding.act),
        lambda: services.decide_finding(
            request.user, finding, accept, request.POST.get("note", "")
        ),
        "已认可答复" if accept else "已退回答复",
    )


@require_POST
def act_evaluate(request, pk):
    act = get_visible_or_404(Act.objects.select_related("agency"), request.user, pk=pk)
    caps.require(request.user, caps.ACT_EVALUATE, act)
    result = evaluate_act(act)
    messages.success(request, f"已重新检查：{len(result.hits)} 项规则提示")
    return redirect(_act_url(act))


@require_http_methods(["GET", "POST"])
def config_edit(request):
    """The rule configuration: everyone may read it, the city administrator edits it."""
    config = current_config()
    may_edit = caps.can(request.user, caps.RULES_CONFIGURE)
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只有市级管理员可以修改规则配置")
        form = ConfigForm(request.POST)
        if form.is_valid():
            try:
                saved = save_config(
                    request.user, form.cleaned_data["data"], form.cleaned_data["note"]
                )
            except ValidationError as error:
                for message in _messages_of(error):
                    form.add_error("data", message)
            else:
                messages.success(
                    request, f"已保存规则配置第{saved.version}版，所有执法行为将重新检查"
                )
                return redirect("compliance:config")
        status = 400
    else:
        form = ConfigForm(initial={"data": json.dumps(config.data, ensure_ascii=False, indent=2)})
    return render(
        request,
        "compliance/config.html",
        {
            "form": form,
            "config": config,
            "may_edit": may_edit,
            "versions": versions.history(KIND)[:20],
            "rules": RULES,
        },
        status=status,
    )


@require_GET
def traceability(request):
    rows = build()
    return render(
        request,
        "compliance/traceability.html",
        {
            "rows": rows,
            "extra": extra_rules(),
            "uncovered": [r for r in rows if r.behaviour and not r.covered],
        },
    )
