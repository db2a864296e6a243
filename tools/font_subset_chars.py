"""Write the characters of the disclosure sheet's font subset (api/fonts/LICENSE-OFL.txt says how
the subset is made from them): printable ASCII, all of GB 2312, the full-width forms, a few signs.

    python tools/font_subset_chars.py > chars.txt
"""

from __future__ import annotations

import sys

SIGNS = "￥¥·—–‘’“”…、。〈〉《》「」『』【】〔〕□■●○◆◇▲△★☆→←↑↓√×÷°℃"


def characters() -> str:
    found = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xFF01, 0xFF5F)} | set(SIGNS)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                found.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(found))


if __name__ == "__main__":
    sys.stdout.write(characters())
