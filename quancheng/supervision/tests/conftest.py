import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from quancheng.supervision.democity import CityPlan, build_city

# A fixed "now" so that the city (and its deadlines) does not depend on the day the tests run.
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def city(db):
    """150 acts in two districts; blob rows without content (the statistics read rows only)."""
    plan = CityPlan(districts=2, acts=150, seed=7, months=4, now=NOW, store_blobs=False)
    return build_city(plan)


@pytest.fixture
def scene(organisation):
    """Two districts' agencies, three officers, a custodian, a head, a subject and two cameras
    each, and the city administrator (rollup_scene.py)."""
    from .rollup_scene import make_scene

    return make_scene()
