import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.lib.canonical import canonical_bytes, es_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # RFC 8785 §3.2.2.3 and its appendix B sample values.
        (333333333.33333329, "333333333.3333333"),
        (1e30, "1e+30"),
        (4.50, "4.5"),
        (2e-3, "0.002"),
        (0.000000000000000000000000001, "1e-27"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (36.6, "36.6"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(value, text):
    assert es_number(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_reads_back_the_same(x):
    assert float(es_number(x)) == x or (x == 0 and float(es_number(x)) == 0)


def test_rfc8785_sample_object():
    value = {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 1e-27], "literals": [None, True]}
    assert canonical_bytes(value) == (
        b'{"literals":[null,true],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}'
    )


def test_without_floats_the_output_is_unchanged():
    value = {"b": [1, "乙", None], "a": {"z": True, "y": "\n"}}
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_bytes(value) == expected.encode()
    assert (
        canonical_bytes({"b": [1.5, "乙"], "a": {"y": "\n"}})
        == '{"a":{"y":"\\n"},"b":[1.5,"乙"]}'.encode()
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(bad):
    with pytest.raises(TypeError):
        canonical_bytes({"x": [bad]})


def test_keys_must_be_strings():
    with pytest.raises(TypeError):
        canonical_bytes({1: "x"})
