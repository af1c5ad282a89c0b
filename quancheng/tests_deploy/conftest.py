import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    """The install tests make their own PostgreSQL database: run them in the PostgreSQL pass
    only (the SQLite pass would repeat them for nothing). Decided at collection, so a module's
    expensive cluster is never started for a test that is then skipped."""
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="runs in the PostgreSQL pass only")
    for item in items:
        if "tests_deploy" in item.nodeid and item.get_closest_marker("postgres"):
            item.add_marker(skip)
