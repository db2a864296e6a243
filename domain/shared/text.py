"""Text as the rules see it: one normalisation for names, codes, numbers and screening.

Clients type what their keyboards give: fullwidth digits from a Chinese input method
(``３２０５``), a zero-width space pasted from a web page (``工\\u200b资``), a
right-to-left mark, a soft hyphen, fullwidth Latin letters (``ｓａｌａｒｙ``). Two
strings that a reader cannot tell apart must not be two ID numbers, two division codes
or a purpose that slips past the screen. So every value a rule checks or a claim holds
passes through here first:

- ``clean`` is NFKC normalisation (fullwidth and other compatibility forms become
  their plain forms: ``３`` → ``3``, ``ｓ`` → ``s``, an ideographic space → a space),
  with every *invisible* character removed: format characters (Unicode category Cf:
  zero-width spaces and joiners, bidirectional marks and isolates, the BOM, soft
  hyphens, tag characters), control characters other than whitespace, lone
  surrogates, variation selectors, the combining grapheme joiner and the fillers that
  render as nothing (Hangul fillers, braille blank). Private-use and unassigned code
  points stay: rare characters of people's names (生僻字) are entered as such.
  Runs of whitespace become one space and the ends are trimmed.
- ``ascii_digits`` answers whether a string holds only ``0``–``9``: NFKC does not turn
  Arabic-Indic (``٠``) or other scripts' digits into ASCII, and Python's ``\\d`` and
  ``str.isdigit`` accept them, so codes, ID numbers, phones and money are checked with
  this (or ``re.ASCII``), never with ``\\d`` alone.
- ``screening_form`` is what the forbidden-purpose screen compares: ``clean``, folded
  to lower case, with every character that is not a letter or a digit removed (so
  ``工 资``, ``工-资`` and ``工·资`` read as ``工资``). Traditional characters are
  converted to simplified ones by the converter the caller passes (OpenCC at the
  boundary, see ``domain.funds.screening``): the domain does no I/O and loads no
  dictionary itself.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Final

_INVISIBLE_EXTRA: Final = frozenset([
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E, 0x180F, 0x2800,
    0x3164, 0xFFA0, 0xFFFC,
    *range(0xFE00, 0xFE10),  # variation selectors
    *range(0xE0100, 0xE01F0),  # variation selectors supplement
])
"""Invisible characters outside category Cf: CGJ, Hangul and Mongolian fillers and
vowel separators, braille blank, variation selectors, the object replacement character."""

MAX_NAME = 120
"""The longest name of an organization or a member, in characters (after ``clean``)."""
_WHITESPACE = re.compile(r"\s+")
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def is_invisible(ch: str) -> bool:
    """Whether ``ch`` renders as nothing (or is not a character at all) and so is removed."""
    if ch in "\t\n\r\x0b\x0c":
        return False  # whitespace: becomes a space
    category = unicodedata.category(ch)
    return (category in ("Cf", "Cc", "Cs") and not ch.isspace()) or ord(ch) in _INVISIBLE_EXTRA


def clean(value: str) -> str:
    """NFKC, invisible characters removed, whitespace runs as one space, trimmed."""
    # Remove before and after normalising: NFKC can neither create nor need them, but a
    # lone surrogate must go before anything else looks at the text.
    text = "".join(ch for ch in value if not is_invisible(ch))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not is_invisible(ch))
    return _WHITESPACE.sub(" ", text).strip()


def ascii_digits(value: str) -> bool:
    """Whether ``value`` is one or more of the ASCII digits 0–9 and nothing else."""
    return _ASCII_DIGITS.fullmatch(value) is not None


def screening_form(value: str, to_simplified: Callable[[str], str] | None = None) -> str:
    """``value`` as the purpose screen compares it: ``clean``, simplified, lower case,
    letters and digits only."""
    text = clean(value)
    if to_simplified is not None:
        text = to_simplified(text)
    text = text.casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def words_form(value: str, to_simplified: Callable[[str], str] | None = None) -> str:
    """``value`` for matching whole Latin words: like ``screening_form``, but every run
    of characters that are not letters or digits becomes one space (word boundaries stay)."""
    text = clean(value)
    if to_simplified is not None:
        text = to_simplified(text)
    text = text.casefold()
    spaced = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    return " " + " ".join(spaced.split()) + " "
