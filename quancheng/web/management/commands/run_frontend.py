"""manage.py run_frontend --listen 127.0.0.1:8000 --upstream SOCKET: nginx before gunicorn.

Writes the configuration under ``VAR_DIR/frontend/`` and replaces this process with nginx (in
the foreground), so that a signal to this process reaches nginx. scripts/run starts it; see
quancheng/lib/frontend.py for why.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quancheng.lib import frontend


class Command(BaseCommand):
    help = "Run nginx in front of gunicorn's Unix socket (the embedded default's front end)."

    def add_arguments(self, parser):
        parser.add_argument("--listen", required=True, help="host:port to serve on")
        parser.add_argument("--upstream", required=True, type=Path, help="gunicorn's socket")
        parser.add_argument("--print-config", action="store_true", help="print it, do not run")

    def handle(self, listen, upstream, print_config=False, **options):
        work = Path(settings.VAR_DIR) / "frontend"
        conf = frontend.prepare(listen, upstream.resolve(), work)
        if print_config:
            self.stdout.write(conf.read_text())
            return
        try:
            argv = frontend.command(conf)
        except FileNotFoundError as e:
            raise CommandError(str(e)) from None
        os.execv(argv[0], argv)  # noqa: S606 - nginx, from a fixed list, no shell
