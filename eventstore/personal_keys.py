"""Crypto-shredding: personal data in the log as ciphertext under per-member keys.

The log is append-only and hashed into a Merkle tree, so personal data written into it
in plaintext could never be erased without breaking every proof. So the event store
writes it sealed, and erasure destroys keys instead of rows.

Design
------
- **What is sealed**: every non-null value of a field the privacy policy names
  (``domain.shared.privacy.PERSONAL_FIELDS``: ``id_number``, ``phone``), at any depth
  of any payload, as the envelope ``{"alg": "A256GCM", "kid": "<key id>", "ct":
  "<base64 of nonce ‖ ciphertext ‖ tag>"}``: AES-256-GCM (``cryptography``'s ``AESGCM``)
  with a random 96-bit nonce, the JSON text of the value as plaintext, and
  ``grassroots-personal/1|<subject>|<key id>|<field>`` as associated data, so that a
  ciphertext cannot be moved to another member, key or field.
- **Per-member keys, rotated on every write**: the subject of a stream's personal data
  is the stream (for a member, the member). Each append that carries personal data for
  a subject draws a fresh data key for it (a new *key version*; its id is in the
  envelope), so new events always use the newest key and no key ever encrypts more than
  one command's data; older ciphertexts stay readable with their own keys until the
  subject is erased. Rotation therefore needs no schedule and no re-encryption.
- **The key table is outside the log**: ``personal_keys`` (``key_id``, ``subject_id``,
  ``wrapped``, ``created_at``; migration 0009) is an ordinary table, not hashed by
  tamper evidence and not covered by the log's append-only trigger. Each data key is
  stored *wrapped* with the key-encryption key (KEK) from configuration
  (``GRASSROOTS_PERSONAL_DATA_KEY``, see ``api.keys``) by Fernet (``MultiFernet``), so a
  copy of the database alone opens nothing. The KEK rotates too: list a new one first;
  older ones keep unwrapping, and ``rewrap`` re-wraps every data key under the newest.
- **Atomic with the log**: new keys are inserted, and an erased subject's keys deleted
  (with a tombstone in ``personal_data_erasures``), by the same statement that appends
  the events (``eventstore.postgres``), and only if the append happened (not for the
  replay of an idempotency key). A key therefore exists iff its events do, and an
  erasure event exists iff the keys are gone.
- **Opening on read, in the same snapshot**: every query that reads events for code
  selects the stream's key state with them (``KEYS_COLUMN``, part of
  ``eventstore.postgres.EVENT_COLUMNS``): ``NULL`` for a stream with no keys, its
  wrapped keys, or ``{"erased": true}``. ``eventstore.postgres.row_to_event`` opens the
  envelopes with them, so projections, history, the feed, NATS and webhooks see
  plaintext, exactly as of the row they read, with no cache to invalidate (only the
  unwrapping of a wrapped key is memoised, keyed by the wrapped text itself). Once a
  subject is erased, every personal field of its stream reads as ``null``
  (``domain.shared.personal.ERASED``), sealed or written in plaintext before sealing.
  The stored rows never change: Merkle tree, checkpoints, event proofs, evidence files
  and ``grassroots verify`` stay valid, because what was hashed is the ciphertext.
- **Failing loudly**: a sealed value with no key configured in the process, or a key
  that does not unwrap with the configured KEK (the wrong key was deployed), raises
  ``PersonalDataKeyError``; it never reads as erased.
- **Copies outside the ledger**: NATS, webhook receivers and subscribers got what they
  were sent when they were sent it (plaintext for the roles and systems that see
  personal data). An erasure cannot reach those copies; they receive the erasure event
  (``Member.PersonalDataErased``) as their signal to erase their own.

Why in the event store: the domain stays pure and never sees a key (it decides what is
personal, ``domain.shared.privacy``, and what erases, ``domain.shared.personal``); every
area's events pass the one adapter on the way in and ``row_to_event`` on the way out,
so no area and no reader can forget to seal or to open. The members read model keeps
the opened values in plaintext for the roles that need them, and its projection clears
them on erasure (``projections.members``).

The process's keys are ``install``-ed once at start-up (``api.bootstrap``, the command
line, the tests); the in-memory event store keeps a key table and a generated KEK of
its own.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.shared.personal import ERASED, has_personal, map_personal
from domain.shared.ports import NewEvent

ALGORITHM = "A256GCM"
_ENVELOPE = frozenset({"alg", "kid", "ct"})
_NONCE = 12
_UNWRAPPED_CACHE = 4096
"""Unwrapped data keys kept per process (keyed by their wrapped text)."""

KEYS_COLUMN = (
    "CASE WHEN EXISTS (SELECT 1 FROM personal_data_erasures WHERE subject_id = {stream_id})"
    " THEN '{{\"erased\": true}}'::jsonb"
    " ELSE (SELECT jsonb_build_object('keys', jsonb_object_agg(key_id, wrapped))"
    " FROM personal_keys WHERE subject_id = {stream_id} HAVING count(*) > 0) END AS personal_keys"
)
"""The select-list item that reads a log row's key state with it (``{stream_id}``: the
row's stream id column): ``NULL`` (no keys, not erased: nothing to open), ``{"keys":
{"<key id>": "<wrapped key>", ...}}`` or ``{"erased": true}``. Written out rather than a
SQL function, which PostgreSQL would call per row (about four times slower); two
index probes."""


def keys_column(stream_id: str = "stream_id") -> str:
    """``KEYS_COLUMN`` for the stream id column ``stream_id`` (``e.stream_id``)."""
    return KEYS_COLUMN.format(stream_id=stream_id)


class PersonalDataKeyError(RuntimeError):
    """Personal data cannot be sealed or opened: no key, or not the key that wrapped it."""


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is a sealed envelope (as the log stores a personal value)."""
    return isinstance(value, Mapping) and value.keys() == _ENVELOPE and value.get("alg") == ALGORITHM


def _aad(subject: UUID | str, key_id: str, field: str) -> bytes:
    return f"grassroots-personal/1|{subject}|{key_id}|{field}".encode()


@dataclass(frozen=True)
class NewKey:
    """A data key drawn for an append: its id, its subject and its wrapped text."""

    key_id: UUID
    subject_id: UUID
    wrapped: str


class PersonalKeys:
    """Seals and opens personal values; wraps data keys with the key-encryption key."""

    def __init__(self, keks: Sequence[str | bytes]) -> None:
        """``keks``: Fernet keys (url-safe base64 of 32 bytes), the newest first."""
        if not keks:
            raise ValueError("at least one key-encryption key is needed")
        try:
            self._kek = MultiFernet([Fernet(k) for k in keks])
        except (ValueError, binascii.Error) as exc:
            raise ValueError("a key-encryption key is a Fernet key: url-safe base64 of 32 bytes"
                             " (generate one with `grassroots keys new`)") from exc
        self._aead = functools.lru_cache(maxsize=_UNWRAPPED_CACHE)(self._unwrap)

    @staticmethod
    def new_kek() -> str:
        """A fresh key-encryption key, as text."""
        return Fernet.generate_key().decode()

    @classmethod
    def generate(cls) -> PersonalKeys:
        """Keys under a KEK of their own (the in-memory store, tests)."""
        return cls([cls.new_kek()])

    # -- keys -------------------------------------------------------------------------

    def _unwrap(self, wrapped: str) -> AESGCM:
        try:
            return AESGCM(self._kek.decrypt(wrapped.encode()))
        except InvalidToken:
            raise PersonalDataKeyError(
                "a personal-data key does not unwrap with the configured key-encryption key"
                " (GRASSROOTS_PERSONAL_DATA_KEY): is it the key this database was written with?"
            ) from None

    def new_key(self, subject_id: UUID) -> tuple[NewKey, AESGCM]:
        raw = AESGCM.generate_key(bit_length=256)
        return NewKey(uuid4(), subject_id, self._kek.encrypt(raw).decode()), AESGCM(raw)

    def rewrapped(self, wrapped: str) -> str:
        """``wrapped`` re-wrapped under the newest key-encryption key."""
        try:
            return self._kek.rotate(wrapped.encode()).decode()
        except InvalidToken:
            raise PersonalDataKeyError("a personal-data key does not unwrap with any configured"
                                       " key-encryption key") from None

    def forget(self) -> None:
        """Drop every unwrapped key this process holds (after an erasure)."""
        self._aead.cache_clear()

    # -- values -----------------------------------------------------------------------

    def seal(self, events: Sequence[NewEvent]) -> tuple[list[NewEvent], list[NewKey]]:
        """``events`` with every personal value sealed, and the keys drawn for them: one
        fresh key per stream that has personal values in this append."""
        keys: dict[UUID, tuple[NewKey, AESGCM]] = {}
        sealed = []
        for e in events:
            if not has_personal(e.payload):
                sealed.append(e)
                continue
            if e.stream_id not in keys:
                keys[e.stream_id] = self.new_key(e.stream_id)
            key, aead = keys[e.stream_id]

            def one(field: str, value: Any, key: NewKey = key, aead: AESGCM = aead) -> Any:
                if value is None:
                    return None
                nonce = os.urandom(_NONCE)
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
                ct = aead.encrypt(nonce, text, _aad(key.subject_id, str(key.key_id), field))
                return {"alg": ALGORITHM, "kid": str(key.key_id),
                        "ct": base64.b64encode(nonce + ct).decode()}

            sealed.append(dataclasses.replace(e, payload=map_personal(e.payload, one)))
        return sealed, [k for k, _ in keys.values()]

    def open(self, payload: Any, subject_id: UUID, wrapped: Mapping[str, str]) -> Any:
        """``payload`` with its sealed values opened with the subject's ``wrapped`` keys (key
        id -> wrapped key). A value whose key is gone reads as ``ERASED``; one written in
        plaintext before sealing reads as it is."""

        def one(field: str, value: Any) -> Any:
            if not is_sealed(value):
                return value
            token = wrapped.get(value["kid"])
            if token is None:
                return ERASED
            blob = base64.b64decode(value["ct"])
            try:
                text = self._aead(token).decrypt(blob[:_NONCE], blob[_NONCE:],
                                                 _aad(subject_id, value["kid"], field))
            except InvalidTag:
                raise PersonalDataKeyError(
                    f"the sealed {field} of {subject_id} does not open with its key") from None
            return json.loads(text)

        return map_personal(payload, one)


# -- the process's keys -------------------------------------------------------------------

_installed: PersonalKeys | None = None


def install(keys: PersonalKeys) -> None:
    """Make ``keys`` the process's keys (start-up: ``api.bootstrap``, the command line)."""
    global _installed
    _installed = keys


def installed() -> PersonalKeys:
    """The process's keys; ``PersonalDataKeyError`` if none were installed."""
    if _installed is None:
        raise PersonalDataKeyError("no personal-data key is configured in this process"
                                   " (api.keys.install_personal_keys at start-up)")
    return _installed


def forget() -> None:
    """Drop the unwrapped keys the process's keys hold, if any are installed."""
    if _installed is not None:
        _installed.forget()


def open_payload(payload: Any, subject_id: UUID, state: Mapping[str, Any] | None,
                 keys: PersonalKeys | None = None) -> Any:
    """``payload`` as readers see it, given its subject's key state as
    ``KEYS_COLUMN`` reads it: ``None`` (no keys: nothing to open),
    ``{"keys": {...}}`` (opened with ``keys``, by default the process's) or
    ``{"erased": true}`` (every personal value ``ERASED``, sealed or not)."""
    if state is None:
        return payload
    if state.get("erased"):
        return erased(payload)
    return (keys or installed()).open(payload, subject_id, state.get("keys") or {})


def open_row(payload: Any, subject_id: UUID, row: Mapping[str, Any],
             keys: PersonalKeys | None = None) -> Any:
    """The payload of a log row with its personal values opened, with the key state the
    row was read with (``KEYS_COLUMN``) and ``keys`` (by default the process's). A row
    read without its key state cannot be opened: if it holds sealed values that is a
    reader's mistake, and it raises."""
    try:
        state = row["personal_keys"]
    except KeyError:
        if has_personal(payload, is_sealed):
            raise PersonalDataKeyError(
                "this log row holds sealed personal data but was read without its keys:"
                " select eventstore.postgres.EVENT_COLUMNS") from None
        return payload
    return open_payload(payload, subject_id, state, keys)


def erased(payload: Any) -> Any:
    """``payload`` with every personal value read as ``ERASED``."""
    return map_personal(payload, lambda _field, _value: ERASED)


async def rewrap(conn: asyncpg.Connection, keys: PersonalKeys, batch: int = 1000) -> int:
    """Re-wrap every data key under the newest key-encryption key; the number re-wrapped.

    Run after putting a new KEK first in ``GRASSROOTS_PERSONAL_DATA_KEY``; then the old
    KEKs can be removed from the setting."""
    done, after = 0, UUID(int=0)
    while True:
        rows = await conn.fetch("SELECT key_id, wrapped FROM personal_keys WHERE key_id > $1"
                                " ORDER BY key_id LIMIT $2", after, batch)
        if not rows:
            return done
        await conn.executemany("UPDATE personal_keys SET wrapped = $2 WHERE key_id = $1",
                               [(r["key_id"], keys.rewrapped(r["wrapped"])) for r in rows])
        done += len(rows)
        after = rows[-1]["key_id"]
