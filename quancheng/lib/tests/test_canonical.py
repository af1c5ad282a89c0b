import enum
import json
import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from quancheng.lib.canonical import canonical_bytes, canonical_flat

# RFC 8785 §3.2.2: its sample object, and the bytes the RFC gives for it (§3.2.4 shows them).
RFC_SAMPLE = {
    "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
    "literals": [None, True, False],
}
RFC_SAMPLE_BYTES = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()

# RFC 8785 §3.2.3: property names sort by their UTF-16 code units, so the emoji (a surrogate
# pair, D83D DE00) comes before U+FB33, where code-point order would put it last.
RFC_SORTING = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_SORTED_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]


def test_the_rfc_sample_object():
    assert canonical_bytes(RFC_SAMPLE) == RFC_SAMPLE_BYTES


def test_keys_sort_by_utf16_code_units_as_the_rfc_says():
    text = canonical_bytes(RFC_SORTING).decode()
    assert list(json.loads(text).values()) == RFC_SORTED_VALUES
    # The old encoder sorted by code point and put the emoji last.
    assert text.index("Emoji") < text.index("Hebrew")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # RFC 8785 §3.2.2.3 and appendix B sample values.
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
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (36.6, "36.6"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(value, text):
    assert canonical_bytes([value]) == f"[{text}]".encode()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_the_fast_path_writes_what_the_rfc8785_package_writes(value):
    try:
        expected = rfc8785.dumps(value)
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8
        with pytest.raises(UnicodeEncodeError):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


@given(
    st.dictionaries(
        st.text(max_size=6).filter(lambda k: all(ord(c) <= 0xFFFF for c in k)),
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
        max_size=6,
    )
)
def test_plain_values_take_the_c_encoder_and_still_match(value):
    try:
        expected = rfc8785.dumps(value)
    except UnicodeEncodeError:
        return
    plain = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert plain.encode() == expected == canonical_bytes(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 2**53, -(2**60)])
def test_values_outside_jcs_are_refused(bad):
    with pytest.raises(TypeError):
        canonical_bytes({"x": [bad]})


def test_keys_must_be_strings():
    with pytest.raises(TypeError):
        canonical_bytes({1: "x"})


flat_values = st.none() | st.text() | st.integers(-(2**60), 2**60) | st.booleans() | st.floats()


@given(st.dictionaries(st.text(max_size=8), flat_values, max_size=9))
def test_the_flat_path_writes_what_the_general_one_writes(value):
    # The ledger's entries take canonical_flat; whatever it is given (booleans, floats, large
    # integers, keys outside ASCII), it must write canonical_bytes' bytes or refuse alike.
    try:
        expected = canonical_bytes(value)
    except (TypeError, UnicodeEncodeError) as e:
        with pytest.raises(type(e)):
            canonical_flat(value)
        return
    assert canonical_flat(value) == expected


class _Kind(enum.StrEnum):
    INSPECTION = "inspection"


class _Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_str_and_int_write_their_plain_values():
    """A choices member (a str subclass) or an IntEnum in a body, at the top or nested, is
    written as its plain value, whichever path checks it."""
    value = {"kind": _Kind.INSPECTION, "level": _Level.HIGH, "nested": [{"kind": _Kind.INSPECTION}]}
    plain = {"kind": "inspection", "level": 3, "nested": [{"kind": "inspection"}]}
    assert canonical_bytes(value) == canonical_bytes(plain) == rfc8785.dumps(plain)
    assert canonical_flat({"kind": _Kind.INSPECTION}) == b'{"kind":"inspection"}'
