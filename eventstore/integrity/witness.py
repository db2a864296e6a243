"""Witnesses: copies of every signed checkpoint kept outside the database.

A checkpoint that lives only in the database it vouches for can be deleted with it; a
witness keeps its own copy where the database's administrators cannot reach, and
``grassroots verify --witness`` compares the two (``eventstore.integrity.witness_check``).
This is how Certificate Transparency logs are kept honest. Three kinds, each a target
string (``GRASSROOTS_WITNESSES``, ``verify --witness``):

- ``dir:/path`` (or a bare path): one file per checkpoint in a directory the auditor
  controls (a share of another host, storage with retention locks, a folder the auditor
  copies off). ``checkpoint-<id>-<tree size>.json``, written to a temporary file and
  linked into place, so a reader never sees half a file and an existing file is never
  replaced: the same checkpoint again is a no-op, a different one under that name a
  ``WitnessConflict``. A missing directory is an error, never created (an unmounted
  share must not turn into a local folder).
- ``nats://[user:password@]host:port/STREAM[/SUBJECT]``: a JetStream stream (subject
  ``STREAM.checkpoints`` unless given). Created if missing, with ``deny_delete`` and
  ``deny_purge`` so the publisher's credentials cannot remove what was witnessed; better
  created by the auditor under an account that lets the server only publish. Header
  ``Nats-Msg-Id`` dedupes a repeat inside the stream's duplicate window; readers treat
  identical copies as one beyond it.
- ``http://`` / ``https://`` URL: ``POST`` of the document with an ``Idempotency-Key``
  header (a 2xx answer is the acknowledgement, 409 a conflict); ``GET`` on the same URL
  answers every document held, as a JSON array (or JSON lines). POSTs go through the
  outbound address policy the caller injects (``api.witnesses``: the webhooks' screening,
  ``projections.integrations.webhooks.post_checked``).

The document is the checkpoint's JSON (``Checkpoint.to_json``: signed text, signature,
public key), the same bytes for every kind; it proves itself with the district's public
key, whoever stores it. Publishing is at least once and every witness is idempotent, so
``eventstore.integrity.witness_publisher`` can simply repeat after a failure.
"""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import json
import logging
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.errors
import nats.js.errors
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from eventstore.integrity.encoding import Checkpoint
from eventstore.integrity.witness_targets import WitnessTarget

log = logging.getLogger(__name__)

FILE_PATTERN = "checkpoint-*.json"
DUPLICATE_WINDOW = 3600.0
"""Seconds JetStream drops a repeated ``Nats-Msg-Id`` (set when the publisher creates the stream)."""

Post = Callable[[httpx.AsyncClient, str, bytes, dict[str, str]], Awaitable[httpx.Response]]
"""``(client, url, body, headers)`` -> the answer: how an HTTP witness POSTs (address policy included)."""


class WitnessError(Exception):
    """A witness could not take or give checkpoints (down, refused, misconfigured)."""


class WitnessConflict(WitnessError):
    """The witness already holds a *different* document under this checkpoint's name:
    never overwritten; a sign that this database's checkpoints were replaced."""


def document(cp: Checkpoint) -> bytes:
    """The bytes every witness stores for ``cp``: its JSON, keys sorted (so a repeat is
    byte-identical)."""
    if cp.id is None:
        raise ValueError("only a recorded checkpoint (with its id) is witnessed")
    return (json.dumps(cp.to_json(), sort_keys=True, indent=1) + "\n").encode()


def same_checkpoint(a: Checkpoint, b: Checkpoint) -> bool:
    """Whether two copies are one checkpoint: its id and everything signed (not the bytes of
    the document, which another version of this program may write differently)."""
    return (a.id, a.tree_size, a.root_hash, a.last_position, a.signed_at, a.key_id, a.signature) == (
        b.id, b.tree_size, b.root_hash, b.last_position, b.signed_at, b.key_id, b.signature)


def idempotency_key(cp: Checkpoint) -> str:
    """One checkpoint's name at a witness: signer, id and tree size."""
    return f"{cp.key_id}-{cp.id}-{cp.tree_size}"


@dataclass(frozen=True)
class Copy:
    """One document a witness holds: the checkpoint it carries, or why it is unreadable."""

    source: str
    """Where it is: a file name, a stream sequence, an index in the HTTP answer."""
    checkpoint: Checkpoint | None
    error: str | None = None


def parse_copy(source: str, data: bytes | str | Any) -> Copy:
    """Read one stored document; a malformed one is a ``Copy`` with an error, not an exception."""
    try:
        value = json.loads(data) if isinstance(data, bytes | str) else data
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        cp = Checkpoint.from_json(value)
        if not isinstance(cp.id, int) or isinstance(cp.id, bool):
            raise ValueError("id is missing or not an integer")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return Copy(source, None, f"{type(exc).__name__}: {exc}")
    return Copy(source, cp)


class Witness(ABC):
    """One witness: publish a checkpoint (idempotent), read every copy back."""

    def __init__(self, target: WitnessTarget, timeout: float) -> None:
        self.target = target
        self.timeout = timeout

    @property
    def name(self) -> str:
        return self.target.name

    @abstractmethod
    async def publish(self, cp: Checkpoint) -> None:
        """Store ``cp``; return only once the witness has it (raise ``WitnessError`` else)."""

    @abstractmethod
    async def read(self) -> list[Copy]:
        """Every document the witness holds, in the order it took them."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the witness may be used again afterwards."""


class DirectoryWitness(Witness):
    """Files in a directory (module docstring); blocking file work runs in a thread."""

    @property
    def path(self) -> Path:
        return Path(self.target.address)

    def file_for(self, cp: Checkpoint) -> Path:
        return self.path / f"checkpoint-{cp.id:012d}-{cp.tree_size:012d}.json"

    async def publish(self, cp: Checkpoint) -> None:
        await asyncio.to_thread(self._write, self.file_for(cp), cp)

    def _write(self, final: Path, cp: Checkpoint) -> None:
        data = document(cp)
        if not self.path.is_dir():
            raise WitnessError(f"witness directory {self.path} does not exist (not mounted?)")
        fd, temp = tempfile.mkstemp(dir=self.path, prefix=".checkpoint-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o644)  # public documents: the auditor's own account must read them
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(temp, final)  # atomic, and never replaces an existing file
            except FileExistsError:
                held = parse_copy(final.name, final.read_bytes()).checkpoint
                if held is None or not same_checkpoint(held, cp):
                    raise WitnessConflict(
                        f"{final} already holds a different checkpoint document: not replaced"
                    ) from None
                return
            dir_fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise WitnessError(f"cannot write {final}: {exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)

    async def read(self) -> list[Copy]:
        return await asyncio.to_thread(self._read)

    async def close(self) -> None:
        """Nothing to release: every write opens and closes its own files."""

    def _read(self) -> list[Copy]:
        if not self.path.is_dir():
            raise WitnessError(f"witness directory {self.path} does not exist")
        copies = []
        for file in sorted(self.path.glob(FILE_PATTERN)):
            try:
                copies.append(parse_copy(file.name, file.read_bytes()))
            except OSError as exc:
                copies.append(Copy(file.name, None, str(exc)))
        return copies


class NatsWitness(Witness):
    """A JetStream stream (module docstring); one connection, opened on first use and
    dropped after any failure, so the next attempt starts afresh."""

    def __init__(self, target: WitnessTarget, timeout: float,
                 duplicate_window: float = DUPLICATE_WINDOW) -> None:
        super().__init__(target, timeout)
        self.duplicate_window = duplicate_window
        self._nc: Any = None
        self._js: Any = None
        self._stream_known = False

    async def _jetstream(self) -> Any:
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(self.target.address, connect_timeout=self.timeout,
                                          allow_reconnect=False, max_reconnect_attempts=0,
                                          error_cb=self._connection_error)
            self._js = self._nc.jetstream(timeout=self.timeout)
        return self._js

    async def _connection_error(self, exc: Exception) -> None:
        # The failed publish or read reports it; nats-py would print it to stderr otherwise.
        log.debug("witness %s: %r", self.name, exc)

    async def _ensure_stream(self, js: Any) -> None:
        if self._stream_known:
            return
        try:
            await js.stream_info(self.target.stream)
        except nats.js.errors.NotFoundError:
            with contextlib.suppress(nats.js.errors.BadRequestError):  # created concurrently
                await js.add_stream(StreamConfig(
                    name=self.target.stream, subjects=[self.target.subject],
                    storage=StorageType.FILE, duplicate_window=self.duplicate_window,
                    deny_delete=True, deny_purge=True, allow_rollup_hdrs=False,
                ))
        self._stream_known = True

    async def publish(self, cp: Checkpoint) -> None:
        try:
            js = await self._jetstream()
            await self._ensure_stream(js)
            await js.publish(self.target.subject, document(cp), stream=self.target.stream,
                             timeout=self.timeout,
                             headers={"Nats-Msg-Id": idempotency_key(cp),
                                      "Grassroots-Checkpoint-Id": str(cp.id),
                                      "Grassroots-Tree-Size": str(cp.tree_size)})
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            await self.close()
            raise WitnessError(f"{self.name}: {type(exc).__name__}: {exc}") from exc

    async def read(self) -> list[Copy]:
        try:
            js = await self._jetstream()
            sub = await js.pull_subscribe(
                self.target.subject, stream=self.target.stream,
                config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL))
            try:
                pending = (await sub.consumer_info()).num_pending
                copies: list[Copy] = []
                while len(copies) < pending:
                    for msg in await sub.fetch(min(500, pending - len(copies)), timeout=self.timeout):
                        copies.append(parse_copy(f"stream sequence {msg.metadata.sequence.stream}",
                                                 msg.data))
                return copies
            finally:
                with contextlib.suppress(nats.errors.Error):
                    await sub.unsubscribe()
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise WitnessError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        finally:
            await self.close()

    async def close(self) -> None:
        nc, self._nc, self._js, self._stream_known = self._nc, None, None, False
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()


class HttpWitness(Witness):
    """An HTTP endpoint (module docstring). ``post`` carries the address policy; a client
    of its own, so a connection checked for this host never carries another's request."""

    def __init__(self, target: WitnessTarget, timeout: float, post: Post,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(target, timeout)
        self.post = post
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                             transport=self.transport)
        return self._client

    async def publish(self, cp: Checkpoint) -> None:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key(cp),
                   "Grassroots-Checkpoint-Id": str(cp.id), "Grassroots-Tree-Size": str(cp.tree_size)}
        try:
            answer = await self.post(self._http(), self.target.address, document(cp), headers)
        except httpx.HTTPError as exc:
            raise WitnessError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if answer.status_code == 409:
            raise WitnessConflict(f"{self.name} holds a different checkpoint under"
                                  f" {idempotency_key(cp)} (HTTP 409)")
        if not 200 <= answer.status_code < 300:
            raise WitnessError(f"{self.name} answered HTTP {answer.status_code}")

    async def read(self) -> list[Copy]:
        # The verifier's own request to the URL it was given: no address policy to apply.
        try:
            answer = await self._http().get(self.target.address, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise WitnessError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        finally:
            await self.close()
        if answer.status_code != 200:
            raise WitnessError(f"{self.name} answered HTTP {answer.status_code} to GET")
        text = answer.text.strip()
        try:
            items = json.loads(text) if text.startswith("[") else [
                json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise WitnessError(f"{self.name}: the answer is neither a JSON array nor JSON lines: {exc}"
                               ) from exc
        return [parse_copy(f"item {i}", item) for i, item in enumerate(items)]

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
