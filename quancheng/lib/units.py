"""Numbers for people: sizes in KB, MB and GB and speeds in MB/s, one decimal (issue 18).

The one helper of the platform for them: the ``size`` and ``rate`` template filters
(``{% load qc_units %}``), the command-line output, and the upload page's script, which writes
them the same way (``records/static/records/upload.js``).
"""

UNITS = ("KB", "MB", "GB", "TB")
STEP = 1024


def human_size(n: int | float | None) -> str:
    """A size in bytes as "0.2 KB", "15.3 MB", "4.0 GB" (1024-based, one decimal)."""
    if n is None:
        return "—"
    size = float(n) / STEP
    for unit in UNITS:
        if size < STEP or unit == UNITS[-1]:
            return f"{size:.1f} {unit}"
        size /= STEP
    raise AssertionError("unreachable")  # pragma: no cover


def human_rate(bytes_per_second: int | float | None) -> str:
    """A speed as "12.5 MB/s" (always MB/s, one decimal: speeds compare at a glance)."""
    if bytes_per_second is None:
        return "—"
    return f"{bytes_per_second / STEP / STEP:.1f} MB/s"
