from django import template
from django.utils import timezone

from quancheng.archive.models import Dossier
from quancheng.cases.models import Act, Case
from quancheng.orgs import capabilities as caps

register = template.Library()


@register.inclusion_tag("archive/dossier_link.html", takes_context=True)
def dossier_link(context, obj):
    """The case or act page's line about its dossier: a link to it, or 组卷 when it may be made."""
    user = context["request"].user
    if isinstance(obj, Case):
        dossier = Dossier.objects.filter(case=obj).first()
        due = obj.stage == Case.Stage.CLOSED
        url_name = "archive:dossier_assemble_case"
    else:
        # An act of a case is archived in the case's dossier.
        lookup = {"case_id": obj.case_id} if obj.case_id else {"act": obj}
        dossier = Dossier.objects.filter(**lookup).first()
        due = obj.kind == Act.Kind.INSPECTION and obj.case_id is None
        due = due and obj.ended_at <= timezone.now()
        url_name = "archive:dossier_assemble_act"
    return {
        "dossier": dossier,
        "obj": obj,
        "url_name": url_name,
        "may_assemble": dossier is None
        and due
        and caps.can(user, caps.DOSSIER_ARCHIVE, obj.agency),
        "show": dossier is not None or due,
    }
