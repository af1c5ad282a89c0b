"""Pages of access requests (调阅申请): the refusal page, the form, the list, the detail with
the head's decision and the requester's withdrawal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import defaults
from django.views.decorators.http import require_http_methods, require_POST

from quancheng.cases.models import Act, Case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.scoping import get_visible_or_404
from quancheng.records.refs import ITEM_MODELS, kind_of
from quancheng.ui.history import history

from . import requests as services
from .enforce import AccessDenied
from .models import AccessRequest
from .policy import ACTION_LABELS, item_kind_of

SCOPE_LABELS = {"item": "仅该记录", "act": "该执法行为的全部记录", "case": "该案件的全部记录"}


def permission_denied(request, exception=None):
    """handler403: a refusal by the access policy offers the request form; others as before."""
    if not isinstance(exception, AccessDenied):
        return defaults.permission_denied(request, exception)
    item = exception.item
    kind = item_kind_of(item)
    query = f"kind={kind}&id={item.pk}" if kind in ITEM_MODELS else f"act={item.act_id}"
    context = {
        "item": item,
        "request_query": query,
        "action_label": ACTION_LABELS[exception.action],
        "decision": exception.decision,
    }
    return render(request, "access/request_denied.html", context, status=403)


class RequestForm(forms.Form):
    scope = forms.ChoiceField(label="调阅范围", widget=forms.RadioSelect)
    purpose = forms.CharField(
        label="调阅事由",
        max_length=services.MAX_PURPOSE,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写调阅事由"},
    )
    allow_download = forms.BooleanField(label="需要下载原始文件", required=False)

    def __init__(self, scopes, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = [(k, label) for k, label in scopes]
        self.fields["scope"].initial = scopes[0][0]


def _target(request):
    """What the form was opened for (?kind=&id=, ?act=, ?case=), in the user's scope."""
    params = request.GET if request.method == "GET" else request.POST
    try:
        if params.get("kind"):
            model = ITEM_MODELS.get(params["kind"])
            if model is None:
                raise Http404("对象不存在")
            return get_visible_or_404(model, request.user, pk=int(params.get("id", "")))
        if params.get("act"):
            return get_visible_or_404(Act, request.user, pk=int(params["act"]))
        if params.get("case"):
            return get_visible_or_404(Case, request.user, pk=int(params["case"]))
    except ValueError as e:
        raise Http404("对象不存在") from e
    return None


def _scopes(target) -> list[tuple[str, str, object]]:
    """The choices a target offers: the item, its act, its case (narrowest first)."""
    scopes = []
    if isinstance(target, Case):
        return [("case", f"{SCOPE_LABELS['case']}：{target}", target)]
    if isinstance(target, Act):
        act = target
    else:
        scopes.append(("item", f"{SCOPE_LABELS['item']}：{target}", target))
        act = target.act
    if act is not None:
        scopes.append(("act", f"{SCOPE_LABELS['act']}：{act}", act))
    case = getattr(target, "case", None) or (act.case if act is not None else None)
    if case is not None:
        scopes.append(("case", f"{SCOPE_LABELS['case']}：{case}", case))
    return scopes


@require_http_methods(["GET", "POST"])
def request_new(request):
    target = _target(request)
    if target is None:
        messages.error(request, "请从记录、执法行为或案件页面发起调阅申请。")
        return redirect("access:request_list")
    scopes = _scopes(target)
    form = RequestForm([(k, label) for k, label, _ in scopes], request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = {k: obj for k, _, obj in scopes}[form.cleaned_data["scope"]]
        if isinstance(chosen, Case):
            fields = {"case": chosen}
        elif isinstance(chosen, Act):
            fields = {"act": chosen}
        else:
            fields = {"item_kind": kind_of(chosen), "item_id": chosen.pk}
        try:
            created = services.create_request(
                request.user,
                purpose=form.cleaned_data["purpose"],
                allow_download=form.cleaned_data["allow_download"],
                **fields,
            )
        except ValidationError as e:
            for message in e.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "调阅申请已提交，等待机构负责人审批。")
            return redirect(created)
    return render(
        request,
        "access/request_new.html",
        {"form": form, "target": target, "hidden": _hidden(request)},
    )


def _hidden(request) -> dict:
    params = request.GET if request.method == "GET" else request.POST
    return {k: params[k] for k in ("kind", "id", "act", "case") if params.get(k)}


def request_list(request):
    qs = services.requests_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in AccessRequest.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-requested_at", "-pk"), 50).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.target_label = services.describe_target(r)
    return render(
        request,
        "access/request_list.html",
        {"page": page, "status": status, "statuses": AccessRequest.Status.choices},
    )


def _request(request, pk) -> AccessRequest:
    found = services.requests_visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("对象不存在")
    return found


def request_detail(request, pk):
    access_request = _request(request, pk)
    now = timezone.now()
    default_expiry = timezone.localtime(services.default_expiry(now))
    return render(
        request,
        "access/request_detail.html",
        {
            "r": access_request,
            "target_label": services.describe_target(access_request),
            "in_force": access_request.status == AccessRequest.Status.APPROVED
            and access_request.expires_at > now,
            "can_decide": access_request.status == AccessRequest.Status.PENDING
            and caps.can(request.user, caps.REQUESTS_DECIDE, access_request)
            and request.user.pk != access_request.requested_by_id,
            "can_withdraw": request.user.pk == access_request.requested_by_id
            and access_request.status
            in (AccessRequest.Status.PENDING, AccessRequest.Status.APPROVED),
            "default_expiry": default_expiry.strftime("%Y-%m-%dT%H:%M"),
            "history": _history(access_request),
        },
    )


def _history(access_request):
    return history(access_request)


def _parse_expiry(value: str):
    if not value:
        return None
    try:
        naive = parse_datetime(value)
    except ValueError:
        naive = None
    if naive is None:
        raise ValidationError("有效期格式不正确", code="invalid")
    return naive if timezone.is_aware(naive) else timezone.make_aware(naive)


def _run(request, action, success: str) -> None:
    try:
        action()
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    except PermissionDenied as e:
        messages.error(request, str(e) or "无权执行该操作")
    else:
        messages.success(request, success)


@require_POST
def request_decide(request, pk):
    access_request = _request(request, pk)
    decision = request.POST.get("decision")
    if decision not in ("approve", "refuse"):
        messages.error(request, "请选择批准或不予批准")
        return redirect(access_request)
    approve = decision == "approve"

    def decide():
        services.decide_request(
            request.user,
            access_request,
            approve,
            request.POST.get("note", ""),
            expires_at=_parse_expiry(request.POST.get("expires_at", "")) if approve else None,
            allow_download=request.POST.get("allow_download") == "1" if approve else None,
        )

    _run(request, decide, "已批准调阅申请。" if approve else "已不予批准调阅申请。")
    if request.POST.get("next") == "inbox":
        return redirect("access:inbox")
    return redirect(access_request)


@require_POST
def request_withdraw(request, pk):
    access_request = _request(request, pk)
    _run(
        request,
        lambda: services.withdraw_request(request.user, access_request),
        "已撤回调阅申请。",
    )
    return redirect(access_request)
