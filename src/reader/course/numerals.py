"""Roman numerals, as books print them on part pages and front-matter folios."""

from __future__ import annotations

import re

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def roman(number: int) -> str:
    """Part numbers as a book prints them: 1 -> I, 24 -> XXIV (any positive number)."""
    digits = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        digits.append(letters * count)
    return "".join(digits)


def roman_value(text: str) -> int | None:
    """'xiv' or 'XIV' -> 14; None for anything that is not a well-formed roman numeral."""
    if not text or not re.fullmatch(r"[ivxlcdm]+|[IVXLCDM]+", text):
        return None
    digits = [_VALUES[c] for c in text.lower()]
    number = sum(-d if n + 1 < len(digits) and d < digits[n + 1] else d
                 for n, d in enumerate(digits))
    return number if number > 0 and roman(number).lower() == text.lower() else None
