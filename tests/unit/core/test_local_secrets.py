"""A development secret is made once; two processes starting together agree on it."""

from __future__ import annotations

from pathlib import Path

from api.local_secrets import generated_once


def test_a_secret_is_made_once_private_and_then_read(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jwt-secret"
    first = generated_once(path, lambda: "first")
    assert first == "first" and path.stat().st_mode & 0o777 == 0o600
    assert generated_once(path, lambda: "second") == "first"
    assert [p.name for p in path.parent.iterdir()] == ["jwt-secret"]  # no temporary left


def test_the_process_that_loses_the_race_reads_the_winners_secret(tmp_path: Path) -> None:
    path = tmp_path / "signing-key"

    def made_while_another_process_wins() -> str:
        path.write_text("winner")  # the other process links its file first
        return "loser"

    assert generated_once(path, made_while_another_process_wins) == "winner"
    assert path.read_text() == "winner"
