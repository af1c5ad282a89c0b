import io

import pytest
from django.core.management import CommandError, call_command

from quancheng.fixity.management.commands.fixity_sweep import parse_rate
from quancheng.fixity.models import FixitySweep

pytestmark = pytest.mark.django_db


def test_the_command_sweeps_and_draws_progress(store, put_blobs):
    put_blobs(store, n=3, size=2048)
    out, err = io.StringIO(), io.StringIO()

    call_command("fixity_sweep", "--progress=always", "--rate=0", stdout=out, stderr=err)

    assert "3 checked" in out.getvalue() and "3 passed" in out.getvalue()
    assert "100.0%" in err.getvalue() and "3/3 blobs" in err.getvalue()
    assert FixitySweep.objects.get().trigger == "command"


def test_the_command_fails_when_blobs_are_missing(store, put_blobs):
    infos = put_blobs(store, n=2)
    store.path(infos[0].sha256).unlink()
    with pytest.raises(CommandError, match="1 blob"):
        call_command("fixity_sweep", stdout=io.StringIO())


def test_resume_continues_the_interrupted_sweep(store, put_blobs):
    put_blobs(store, n=2)
    sweep = FixitySweep.objects.create(trigger="command", status="interrupted")
    call_command("fixity_sweep", "--resume", stdout=io.StringIO())
    sweep.refresh_from_db()
    assert sweep.status == "completed" and sweep.checked == 2


def test_rates_are_parsed():
    assert parse_rate("0") == 0
    assert parse_rate("1000") == 1000
    assert parse_rate("50M") == parse_rate("50MiB") == parse_rate("50 MiB/s") == 50 * 1024**2
    assert parse_rate("1.5G") == int(1.5 * 1024**3)
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate("fast")
    with pytest.raises(CommandError):
        call_command("fixity_sweep", "--rate=fast")
