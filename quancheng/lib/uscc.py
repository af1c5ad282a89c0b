"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division
(6 digits, GB/T 2260), organisation code (9, GB 11714) and a check character computed over the
first 17 with weights 3^i mod 31. The alphabet leaves out I, O, S, V and Z.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, ...


class InvalidCreditCode(ValueError):
    """Raised with a Chinese message that names what fails."""


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return code.strip().upper()


def validate(code: str) -> str:
    """The normalised code, or InvalidCreditCode saying what is wrong."""
    code = normalize(code)
    if len(code) != 18:
        raise InvalidCreditCode(f"统一社会信用代码应为18位，当前为{len(code)}位")
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            raise InvalidCreditCode(
                f"统一社会信用代码第{position}位“{char}”不是允许的字符"
                "（数字或除I、O、S、V、Z以外的大写字母）"
            )
    if not code[2:8].isdigit():
        raise InvalidCreditCode("统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(
            f"统一社会信用代码校验位错误：第18位应为“{expected}”，实际为“{code[17]}”"
        )
    return code


def complete(first17: str) -> str:
    """first17 plus its check character (for demo data and tests)."""
    return first17 + check_character(first17)
