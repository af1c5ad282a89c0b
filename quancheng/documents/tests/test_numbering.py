"""Document numbers (文号): format, per-key serials, no gaps or duplicates under concurrency."""

import os
import threading

import pytest
from django.db import connection, connections, transaction

from quancheng.documents.models import NumberCounter, NumberingConfig
from quancheng.documents.numbering import issue_number, next_serial

from .conftest import doc_type

PARALLEL = 50


@pytest.mark.django_db
def test_numbers_follow_the_agency_format_and_run_per_category_nature_and_year(
    agency, subject, catalogue
):
    penalty = doc_type("行政处罚决定书")
    order = doc_type("责令（限期）改正通知书")
    with transaction.atomic():
        assert issue_number(agency, penalty, subject, 2026) == "渝中卫医罚〔2026〕1号"
        assert issue_number(agency, penalty, subject, 2026) == "渝中卫医罚〔2026〕2号"
        assert issue_number(agency, order, subject, 2026) == "渝中卫医责改〔2026〕1号"
        assert issue_number(agency, penalty, subject, 2027) == "渝中卫医罚〔2027〕1号"
    NumberingConfig.objects.create(agency=agency, region="渝中区", serial_width=3)
    with transaction.atomic():
        assert issue_number(agency, penalty, subject, 2026) == "渝中区卫医罚〔2026〕003号"


@pytest.mark.django_db
def test_a_serial_taken_in_a_failed_transaction_is_given_again(agency):
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the rollback inside the block is what is tested
        assert next_serial(agency, "医", "罚", 2026) == 1
        raise RuntimeError("rendering failed")
    with transaction.atomic():
        assert next_serial(agency, "医", "罚", 2026) == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("QC_DATABASE_URL", "").startswith("postgres"),
    # Skipped before the fixtures run: a transactional test's flush would meet SQLite's
    # append-only ledger triggers.
    reason="concurrent numbering needs PostgreSQL (SQLite serialises writers itself)",
)
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_get_fifty_consecutive_serials(agency):
    assert connection.vendor == "postgresql"
    start = threading.Barrier(PARALLEL)
    serials, failures = [], []

    def request():
        try:
            start.wait()
            with transaction.atomic():
                serials.append(next_serial(agency, "医", "罚", 2026))
        except Exception as e:
            failures.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(serials) == list(range(1, PARALLEL + 1))
    assert NumberCounter.objects.get(agency=agency).last_serial == PARALLEL
