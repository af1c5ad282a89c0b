"""The registration panel (登记) on an act's page.

Usage: {% load qc_registration %}{% registration_panel act %}
"""

from django import template

from quancheng.orgs import capabilities as caps
from quancheng.registration.services import delay_bounds, registration_state

register = template.Library()


@register.inclusion_tag("registration/_act_panel.html", takes_context=True)
def registration_panel(context, act):
    user = context["request"].user
    state = registration_state(act)
    delay_min, delay_max = delay_bounds(state.deadline.last_day)
    return {
        "delay_min": delay_min,
        "delay_max": delay_max,
        "act": act,
        "state": state,
        "can_register": caps.can(user, caps.RECORDS_REGISTER, act),
        "can_request": caps.can(user, caps.LATE_REGISTRATION_REQUEST, act),
        "can_decide": caps.can(user, caps.LATE_REGISTRATION_DECIDE, act),
        "csrf_token": context.get("csrf_token"),
    }
