from quancheng.lib.units import human_rate, human_size


def test_sizes_read_in_kb_mb_gb_with_one_decimal():
    assert human_size(0) == "0.0 KB"
    assert human_size(155) == "0.2 KB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(15 * 1024 * 1024 + 300_000) == "15.3 MB"
    assert human_size(4 * 1024**3) == "4.0 GB"
    assert human_size(None) == "—"


def test_speeds_read_in_mb_per_second_with_one_decimal():
    """Not "154.79876160996292 B/s" (issue 18)."""
    assert human_rate(154.79876160996292) == "0.0 MB/s"
    assert human_rate(12.5 * 1024 * 1024) == "12.5 MB/s"
