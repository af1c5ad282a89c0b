"""The head's approvals inbox page (审批待办) at /access/inbox/."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .inbox import inbox as inbox_sections
from .inbox import is_head


def inbox(request):
    if not is_head(request.user):
        raise PermissionDenied("审批待办仅供机构负责人使用")
    sections = inbox_sections(request.user)
    return render(
        request,
        "access/inbox.html",
        {"sections": sections, "total": sum(len(entries) for _, _, entries in sections)},
    )
