"""Phone normalisation: what people really type."""

import pytest

from app.core.phones import InvalidPhone, mask_phone, normalize_phone

E164 = "+8613800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "8613800138000",
        "008613800138000",
        "０１３８００１３８０００"[1:],
        "１３８００１３８０００",
        "(+86) 138-0013-8000",
        "'13800138000",
        "13800138000.0",
        " 13800138000 ",
        "+86-138-0013-8000",
        "86 138 0013 8000",
        "138.0013.8000",
    ],
)
def test_real_world_spellings_normalise_to_e164(raw):
    assert normalize_phone(raw) == E164


@pytest.mark.parametrize("raw", ["", "12345", "1380013800", "23800138000", "abc", "138001380001"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask_shows_first_three_and_last_four():
    assert mask_phone(E164) == "138****8000"
