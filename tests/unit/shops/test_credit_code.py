"""The unified social credit code check (GB 32100-2015) agrees with python-stdnum's."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import uscc

from domain.shared.errors import InvalidInput
from domain.shops.licence import ALPHABET, check_credit_code, credit_check_character


def test_the_check_character_is_stdnums_on_many_generated_codes() -> None:
    r = random.Random(32100)
    for _ in range(5000):
        body = "".join(r.choice(ALPHABET) for _ in range(2)) + "".join(r.choice("0123456789") for _ in range(6)) \
            + "".join(r.choice(ALPHABET) for _ in range(9))
        assert credit_check_character(body) == uscc.calc_check_digit(body), body


def test_a_published_code_passes_in_any_spelling() -> None:
    assert check_credit_code(" 91110000600037341l ") == "91110000600037341L"
    assert check_credit_code("９１１１００００６０００３７３４１Ｌ") == "91110000600037341L"


@pytest.mark.parametrize("code", ["91110000600037341A", "9111000060003734", "91110000600037341I",
                                  "911100006000373410L"])
def test_a_wrong_check_character_length_or_letter_is_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_credit_code(code)
    assert exc.value.field == "creditCode"
