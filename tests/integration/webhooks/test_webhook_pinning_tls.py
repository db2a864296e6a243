"""Pinning over real TLS: the request goes to the resolved address, the certificate is checked
against the URL's host name.

A real httpx transport and a real TLS receiver on 127.0.0.1 (private addresses allowed,
as in development: the address policy itself is tested in tests/unit/webhooks/). The
name resolves through the test's table to 127.0.0.1 and the receiver's certificate
names only ``hook.example.test``: the handshake succeeds only because the server name
(SNI and the certificate check) is the host name, not the address connected to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from projections.integrations.webhooks import post_checked
from tests.unit.webhooks.egress import Resolver

NAME = "hook.example.test"


def certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
async def receiver(tmp_path: Path) -> AsyncIterator[tuple[int, list[Request], Path]]:
    cert_path, key_path = certificate(tmp_path)
    hits: list[Request] = []

    async def hook(request: Request) -> Response:
        await request.body()
        hits.append(request)
        return Response(status_code=204)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
                                           log_level="warning", ssl_certfile=str(cert_path),
                                           ssl_keyfile=str(key_path)))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield sock.getsockname()[1], hits, cert_path
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_a_pinned_https_request_keeps_host_and_certificate_name(
    receiver: tuple[int, list[Request], Path],
) -> None:
    port, hits, cert_path = receiver
    resolver = Resolver({NAME: ["127.0.0.1"], "other.example.test": ["127.0.0.1"]})
    trust = ssl.create_default_context(cafile=str(cert_path))
    # One client per subscription, as the deliverer has it: a pooled connection, keyed by
    # the address, is never handed to another host name's request.
    async with httpx.AsyncClient(verify=trust, timeout=10) as client:
        response = await post_checked(client, f"https://{NAME}:{port}/hook", b"{}", {},
                                      allow_private=True, resolver=resolver, resolve_within=5)
    assert response.status_code == 204
    (hit,) = hits
    assert hit.headers["host"] == f"{NAME}:{port}"
    assert hit.client is not None and hit.client.host == "127.0.0.1"

    # Another name pinned to the same address: its certificate check fails, nothing arrives.
    async with httpx.AsyncClient(verify=trust, timeout=10) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await post_checked(client, f"https://other.example.test:{port}/hook", b"{}", {},
                               allow_private=True, resolver=resolver, resolve_within=5)
    assert len(hits) == 1
    assert resolver.lookups == [(NAME, port), ("other.example.test", port)]
