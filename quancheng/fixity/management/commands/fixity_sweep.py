import re
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quancheng.fixity.models import FixitySweep
from quancheng.fixity.sweep import SweepBusy, run_sweep

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_rate(text: str) -> int:
    """Bytes per second: ``0`` (unlimited), ``52428800``, ``50M``, ``50MiB``, ``1G``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:/s)?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError(f"not a rate: {text!r}")
    return int(float(m[1]) * _UNITS[m[2].lower()])


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class _ProgressBar:
    """One line on stderr, redrawn at most 5 times a second (only on a terminal, unless forced)."""

    def __init__(self, stream, enabled: bool, width: int = 30):
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self.start = time.monotonic()
        self.last = 0.0
        self.start_bytes: int | None = None

    def __call__(self, sweep: FixitySweep, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.start_bytes is None:
            self.start_bytes = sweep.checked_bytes
        if not final and now - self.last < 0.2:
            return
        self.last = now
        filled = int(self.width * sweep.percent / 100)
        speed = (sweep.checked_bytes - self.start_bytes) / max(now - self.start, 1e-9)
        problems = f" problems {sweep.problems}" if sweep.problems else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {sweep.percent:5.1f}% "
            f"{sweep.checked}/{sweep.total_blobs} blobs "
            f"{_size(sweep.checked_bytes)}/{_size(sweep.total_bytes)} "
            f"{_size(speed)}/s{problems}   "
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Re-hash every registered blob and record each check in the ledger (fixity sweep). "
        "Ctrl-C stops it resumably; --resume continues the last unfinished sweep."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resume", action="store_true", help="continue the last unfinished sweep"
        )
        parser.add_argument(
            "--rate",
            default=None,
            help="read at most this many bytes/s, e.g. 50M (default QC_FIXITY_RATE; 0 = no limit)",
        )
        parser.add_argument("--workers", type=int, default=2, help="hashing threads (default 2)")
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="progress bar on stderr (auto: when stderr is a terminal)",
        )

    def handle(self, *args, resume, rate, workers, progress, **options):
        try:
            limit = settings.QC_FIXITY_RATE if rate is None else parse_rate(rate)
        except ValueError as e:
            raise CommandError(str(e)) from None
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        enabled = progress == "always" or (progress == "auto" and sys.stderr.isatty())
        bar = _ProgressBar(self.stderr._out, enabled)
        try:
            sweep = run_sweep(
                resume=resume,
                trigger=FixitySweep.Trigger.COMMAND,
                rate=limit,
                workers=workers,
                progress=bar,
            )
        except SweepBusy as e:
            raise CommandError(
                f"sweep {e.sweep.pk} is running in another process; try again later"
            ) from None
        except KeyboardInterrupt:
            self.stderr.write("\ninterrupted: run again with --resume to continue")
            sys.exit(130)
        bar(sweep, final=True)
        self.stdout.write(
            f"sweep {sweep.pk} {sweep.status}: {sweep.checked} checked "
            f"({_size(sweep.checked_bytes)}), {sweep.passed} passed, {sweep.failed} altered, "
            f"{sweep.missing} missing"
        )
        if sweep.problems:
            raise CommandError(f"{sweep.problems} blob(s) missing or altered: see /alerts/")
