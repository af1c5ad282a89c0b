"""gunicorn's settings that must agree with nginx's (``--config python:quancheng.gunicorn_conf``).

Only the limits on the request head: above nginx's, so that gunicorn never refuses with its
HTML page a request that nginx passed on (quancheng/lib/frontend.py). The rest (bind, workers,
threads) stays on the command line (scripts/run, docs/deployment.md).
"""

from quancheng.lib.frontend import GUNICORN_LIMITS

limit_request_line = GUNICORN_LIMITS["limit_request_line"]
limit_request_field_size = GUNICORN_LIMITS["limit_request_field_size"]
limit_request_fields = GUNICORN_LIMITS["limit_request_fields"]
