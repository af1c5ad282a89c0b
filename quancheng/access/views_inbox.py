"""The head's approvals inbox page (审批待办) at /access/inbox/."""

from django.shortcuts import render

from quancheng.orgs import capabilities as caps

from .inbox import inbox as inbox_sections


def inbox(request):
    caps.require(request.user, caps.REQUESTS_DECIDE)
    sections = inbox_sections(request.user)
    return render(
        request,
        "access/inbox.html",
        {"sections": sections, "total": sum(len(entries) for _, _, entries in sections)},
    )
