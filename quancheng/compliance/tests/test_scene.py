"""The base scene every rule test spoils is silent on every rule, for every act kind."""

import pytest

from quancheng.cases.models import Act

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", Act.Kind.values)
def test_a_compliant_act_has_no_findings(scene, kind):
    built = scene(kind)
    assert [(h.key, h.params) for h in built.hits()] == []
