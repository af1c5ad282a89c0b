"""GB 32100 unified social credit codes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.lib import uscc

# Published codes of real bodies (the check character is what GB 32100 computes).
KNOWN_VALID = ["91350100M000100Y43", "91110000600037341L"]

first17 = st.text(alphabet=uscc.ALPHABET, min_size=2, max_size=2).flatmap(
    lambda head: st.text(alphabet="0123456789", min_size=6, max_size=6).flatmap(
        lambda division: st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9).map(
            lambda org: head + division + org
        )
    )
)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_are_valid(code):
    assert uscc.validate(code) == code


def test_lower_case_and_spaces_are_normalised():
    assert uscc.validate(" 91350100m000100y43 ") == "91350100M000100Y43"


@given(first17)
def test_completed_codes_validate(body):
    assert uscc.validate(uscc.complete(body)) == uscc.complete(body)


@given(first17, st.sampled_from(uscc.ALPHABET))
def test_any_other_check_character_is_refused_and_named(body, wrong):
    code = uscc.complete(body)
    if wrong == code[-1]:
        return
    with pytest.raises(uscc.InvalidCreditCode) as raised:
        uscc.validate(code[:-1] + wrong)
    assert f"第18位应为“{code[-1]}”" in str(raised.value)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9135010", "应为18位，当前为7位"),
        ("91350100M000100I43", "第16位“I”不是允许的字符"),
        ("9135A100M000100Y43", "第3至8位"),
        ("91350100M000100Y44", "校验位错误"),
    ],
)
def test_wrong_codes_say_what_fails(code, message):
    with pytest.raises(uscc.InvalidCreditCode) as raised:
        uscc.validate(code)
    assert message in str(raised.value)
