"""The forbidden-purpose screen as the server applies it: configured lists, OpenCC.

``domain.funds.screening.PurposeScreen`` compares a proposal's text after converting
traditional characters to simplified ones; the conversion is OpenCC's (the ``opencc``
package, the project's own Python binding), whose dictionaries are loaded from the
package's files once, here at the boundary, so the domain stays free of I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import opencc

from api.config import Settings
from domain.funds.screening import PurposeScreen


@cache
def to_simplified() -> Callable[[str], str]:
    """OpenCC's traditional -> simplified conversion (``t2s``), built once."""
    converter = opencc.OpenCC("t2s")
    convert: Callable[[str], str] = converter.convert
    return convert


def purpose_screen(settings: Settings) -> PurposeScreen:
    """The screen with the configured lists (``GRASSROOTS_FORBIDDEN_PURPOSES``)."""
    return PurposeScreen(terms=dict(settings.funds.forbidden_purposes), to_simplified=to_simplified())
