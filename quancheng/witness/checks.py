"""A malformed QC_WITNESSES fails at start-up (``manage.py check``), not at the first checkpoint."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def check_witnesses(app_configs, **kwargs):
    from .config import configured_witnesses

    try:
        configured_witnesses()
    except ImproperlyConfigured as e:
        return [Error(str(e), id="witness.E001")]
    return []
