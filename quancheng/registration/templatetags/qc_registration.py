"""The registration panel (登记) on an act's page.

Usage: {% load qc_registration %}{% registration_panel act %}
"""

from django import template

from quancheng.registration.services import (
    is_custodian_of,
    is_head_of,
    may_request_late,
    registration_state,
)

register = template.Library()


@register.inclusion_tag("registration/_act_panel.html", takes_context=True)
def registration_panel(context, act):
    user = context["request"].user
    state = registration_state(act)
    return {
        "act": act,
        "state": state,
        "can_register": is_custodian_of(user, act),
        "can_request": may_request_late(user, act),
        "can_decide": is_head_of(user, act),
        "csrf_token": context.get("csrf_token"),
    }
