"""The bundled Chongqing organisation."""

import pytest

from quancheng.orgs.models import Agency
from quancheng.orgs.seed import load_organisation, short_name

pytestmark = pytest.mark.django_db


def test_every_district_has_a_commission_and_an_enforcement_agency(organisation):
    districts = Agency.objects.filter(level="district", kind="commission")
    assert districts.count() == 38
    for commission in districts:
        assert commission.children.filter(kind="enforcement").count() == 1
    assert Agency.objects.get(name="两江新区社发局").level == "district"
    assert Agency.objects.get(name="重庆市卫生健康执法总队").level == "city"


def test_loading_twice_adds_nothing(organisation):
    count = Agency.objects.count()
    assert load_organisation() == count


@pytest.mark.parametrize(
    ("district", "short"),
    [
        ("渝中区", "渝中"),
        ("石柱土家族自治县", "石柱"),
        ("忠县", "忠县"),
        ("彭水苗族土家族自治县", "彭水"),
        ("秀山土家族苗族自治县", "秀山"),
    ],
)
def test_short_names_for_document_numbers(district, short):
    assert short_name(district) == short
