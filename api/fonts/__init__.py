"""Fonts the program embeds: the disclosure sheet's Noto Sans SC subset (LICENSE-OFL.txt)."""
