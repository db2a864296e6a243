"""``grassroots verify``'s check of append authenticators (``eventstore.integrity.authenticators``).

Every row is checked with the operator's append keys, sealed or not:

- a sealed row must carry an authenticator that verifies; one that does not was sealed
  by something other than the hasher (leaves written with SQL) or had its authenticator
  changed since; either way it is named by position;
- an unsealed row that does not verify is the one the hasher refuses (it stops there);
- rows in the log before authenticators began (``append_authentication``,
  migrations/0012: up to the log's head at the upgrade, sealed by then or not) carry
  none: they are counted as legacy events, proven by the tree and checkpoints only.
  That boundary is a row of the database, so it is checked against the rows themselves:
  none below it may carry a valid authenticator (the application appended that row after
  the boundary, so the boundary was moved to pass forged rows off as legacy ones).

The digests come from PostgreSQL (``store.APPEND_DIGEST_SQL``) for ``--engine sql`` and are
recomputed from the row's values here for ``--engine python`` and ``--stream``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from eventstore.integrity import store as idb
from eventstore.integrity.authenticators import AppendKeys, append_digest
from eventstore.integrity.encoding import EncodingError, append_text, parse_json


class VerifyReport(Protocol):
    """What is counted into ``eventstore.integrity.verify.VerifyReport`` (which imports this)."""

    authenticated: int | None
    legacy: int
    legacy_position: int

    def fail(self, position: int | None, problem: str) -> None: ...

Authenticator = tuple[bytes | None, str | None, bytes | None]
"""(digest of the row's append encoding or None if it cannot be encoded, key id, mac)."""


def python_authenticator(row: asyncpg.Record) -> Authenticator:
    """A ``canonical_rows`` row's authenticator, its digest recomputed outside the database."""
    event: dict[str, Any] = {**dict(row), "payload": parse_json(row["payload_text"])}
    try:
        digest: bytes | None = append_digest(append_text(event))
    except EncodingError:
        digest = None
    mac = row["append_mac"]
    return digest, row["append_key_id"], None if mac is None else bytes(mac)


@dataclass
class AuthenticatorCheck:
    """Checks rows one by one and counts them into a ``VerifyReport``."""

    keys: AppendKeys
    legacy: idb.LegacyBoundary
    hashed_position: int

    @classmethod
    async def load(
        cls, conn: asyncpg.Connection | asyncpg.Pool, keys: AppendKeys
    ) -> AuthenticatorCheck:
        hashed = await conn.fetchval("SELECT position FROM hasher_tracking")
        return cls(keys, await idb.legacy_boundary(conn), hashed or 0)

    def start(self, report: VerifyReport) -> None:
        report.authenticated = 0
        report.legacy_position = self.legacy.position
        report.legacy_unsealed = self.legacy.unsealed

    def row(self, report: VerifyReport, position: int, auth: Authenticator) -> None:
        digest, kid, mac = auth
        sealed = position <= self.hashed_position
        before = position <= self.legacy.position
        if mac is None and before:  # sealed by now, or about to be: either way legacy
            report.legacy += 1
            return
        problem = self.keys.problem(digest, kid, mac)
        if problem is None and before:
            report.fail(
                position,
                f"event at position {position} carries a valid append authenticator but lies "
                f"before position {self.legacy.position}, where authenticators began "
                "(append_authentication): that boundary was moved, which would pass rows "
                "without authenticators off as legacy events",
            )
        elif problem is None:
            report.authenticated = (report.authenticated or 0) + 1
        elif sealed:
            report.fail(
                position,
                f"event at position {position} {problem}, yet it is sealed: the hasher seals "
                "only authenticated events, so its leaf was written with SQL, or the event or "
                "its authenticator was changed after sealing",
            )
        else:
            report.fail(
                position,
                f"event at position {position} {problem}; the hasher refuses to seal it, and "
                "sealing stops before it",
            )

    def rows(
        self, report: VerifyReport, positions: Sequence[int], auths: Sequence[Authenticator]
    ) -> None:
        for position, auth in zip(positions, auths, strict=True):
            self.row(report, position, auth)

    async def unsealed(self, conn: asyncpg.Connection | asyncpg.Pool, report: VerifyReport) -> None:
        """Check every row after the hashed part (which the hasher may refuse)."""
        rows = await conn.fetch(
            f"SELECT e.position, {idb.APPEND_DIGEST_SQL} AS digest, e.append_key_id,"
            " e.append_mac FROM events e WHERE e.position > $1 ORDER BY e.position",
            self.hashed_position,
        )
        for r in rows:
            mac = r["append_mac"]
            self.row(
                report,
                r["position"],
                (bytes(r["digest"]), r["append_key_id"], None if mac is None else bytes(mac)),
            )


def sql_authenticators(record: asyncpg.Record) -> list[Authenticator]:
    """The per-row authenticators of a chunk query's ``d``, ``k`` and ``m`` arrays."""
    digests, kids, macs = record["d"] or [], record["k"] or [], record["m"] or []
    return [
        (bytes(d), k, None if m is None else bytes(m))
        for d, k, m in zip(digests, kids, macs, strict=True)
    ]
