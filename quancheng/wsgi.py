import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quancheng.settings")
application = get_wsgi_application()
# Import the URL configuration (and with it every view) while the worker boots, not during
# its first request: that request, often a large upload's PATCH, took a second longer.
get_resolver().url_patterns  # noqa: B018 - evaluated for its import side effect
