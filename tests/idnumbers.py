"""Valid test ID numbers (GB 11643 check digit) for fixtures."""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(prefix15: str, serial: int) -> str:
    """An 18-character ID number: 15 given digits, a 2-digit serial, the check digit."""
    body = f"{prefix15}{serial % 100:02d}"
    assert len(body) == 17 and body.isdigit()
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]
