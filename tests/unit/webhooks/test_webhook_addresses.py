"""Where a webhook POST may go: only globally routable addresses, resolved once and pinned.

No test here sends anything anywhere: names resolve through ``egress.Resolver`` (a
table) and requests end in ``egress.Recorder`` (records, answers itself, opens no
socket). A refusal is checked by the recorder having seen nothing.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from domain.shared.errors import InvalidInput
from projections.integrations.webhooks import AddressNotAllowed, address_refusal, post_checked
from tests.unit.webhooks.egress import Recorder, Resolver

GLOBAL_V4, GLOBAL_V6 = "93.184.215.14", "2606:4700:4700::1111"

NOT_GLOBAL = [
    # What the attack found open: RFC 6598 (Alibaba Cloud's metadata service lives there),
    # 6to4 embedding loopback, deprecated site-local.
    "100.100.100.200", "100.64.0.1", "2002:7f00:1::", "2002:7f00:0001::1", "fec0::1",
    # IPv4-mapped and -compatible forms of private addresses, NAT64 embedding them.
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
    "::10.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b:1::1",
    "2002:a00:1::", "2002:c0a8:101::1", "2002:a9fe:a9fe::",
    # The usual ones.
    "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
    "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9", "192.88.99.1",
    "::", "::1", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1", "ff0e::1", "100::1",
    "2001:db8::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "3fff::1", "5f00::1",
    "4000::1", "::7f00:1",
]
GLOBAL = [GLOBAL_V4, "8.8.8.8", "1.1.1.1", GLOBAL_V6, "2400:3200::1", "::ffff:93.184.215.14",
          "64:ff9b::93.184.215.14", "2002:5db8:d70e::1"]


@pytest.mark.parametrize("address", NOT_GLOBAL)
def test_every_address_that_is_not_globally_routable_is_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", GLOBAL)
def test_a_globally_routable_address_is_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_an_address_carrying_an_ipv4_address_is_judged_by_it() -> None:
    why = address_refusal(ipaddress.ip_address("2002:7f00:1::"))
    assert why is not None and "127.0.0.1" in why and "loopback" in why
    why = address_refusal(ipaddress.ip_address("64:ff9b::a00:1"))
    assert why is not None and "10.0.0.1" in why


async def _post(url: str, resolver: Resolver, transport: Recorder, *,
                allow_private: bool = False) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        return await post_checked(client, url, b'{"position":1}', {"Grassroots-Event-Id": "e1"},
                                  allow_private=allow_private, resolver=resolver,
                                  resolve_within=5)


@pytest.mark.parametrize("answer", [["100.100.100.200"], ["2002:7f00:1::"], ["fec0::1"],
                                    [GLOBAL_V4, "10.0.0.1"], ["::ffff:127.0.0.1"], []])
async def test_a_name_resolving_to_any_refused_address_sends_nothing(answer: list[str]) -> None:
    resolver, transport = Resolver({"hook.example.cn": answer}), Recorder()
    with pytest.raises(AddressNotAllowed):
        await _post("https://hook.example.cn/in", resolver, transport)
    assert resolver.lookups == [("hook.example.cn", 443)]
    assert transport.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://[::1]/",
                                 "http://100.100.100.200/latest/meta-data/",
                                 "http://[2002:7f00:1::]/", "http://[fec0::1]/",
                                 "http://[::ffff:10.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/"])
async def test_an_address_in_the_url_is_checked_without_a_lookup_and_refused(url: str) -> None:
    resolver, transport = Resolver(), Recorder()
    with pytest.raises(AddressNotAllowed, match="not globally routable"):
        await _post(url, resolver, transport)
    assert resolver.lookups == [] and transport.requests == []


async def test_the_request_goes_to_the_checked_address_with_the_host_name_kept() -> None:
    resolver, transport = Resolver({"hook.example.cn": [GLOBAL_V6, GLOBAL_V4]}), Recorder()
    response = await _post("https://Hook.Example.cn:8443/in?x=1", resolver, transport)
    assert response.status_code == 200
    (sent,) = transport.requests
    assert str(sent.url) == f"https://[{GLOBAL_V6}]:8443/in?x=1"
    assert sent.headers["host"] == "hook.example.cn:8443"
    assert sent.extensions["sni_hostname"] == "hook.example.cn"  # TLS: SNI and certificate name
    assert sent.headers["grassroots-event-id"] == "e1" and sent.content == b'{"position":1}'


async def test_a_second_lookup_cannot_move_the_request_no_dns_rebinding() -> None:
    # The name answers a global address first and loopback ever after: one lookup per
    # attempt, and the request goes to what that lookup answered and the check allowed.
    flip = {"rebind.example.cn": lambda n: [GLOBAL_V4] if n == 1 else ["127.0.0.1"]}
    resolver, transport = Resolver(flip), Recorder()  # type: ignore[arg-type]
    await _post("http://rebind.example.cn/hook", resolver, transport)
    assert len(resolver.lookups) == 1
    assert [r.url.host for r in transport.requests] == [GLOBAL_V4]
    assert transport.requests[0].headers["host"] == "rebind.example.cn"
    with pytest.raises(AddressNotAllowed):  # the next attempt looks up afresh, and refuses
        await _post("http://rebind.example.cn/hook", resolver, transport)
    assert len(transport.requests) == 1


async def test_a_redirect_is_the_answer_never_followed() -> None:
    resolver = Resolver({"hook.example.cn": [GLOBAL_V4]})
    transport = Recorder(status=302, response_headers={"location": "http://127.0.0.1:8000/x"})
    response = await _post("http://hook.example.cn/hook", resolver, transport)
    assert response.status_code == 302
    assert len(transport.requests) == 1


async def test_a_refused_connection_tries_the_next_checked_address_only() -> None:
    class FirstRefuses(Recorder):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if not self.requests:
                self.requests.append(request)
                raise httpx.ConnectError("connection refused", request=request)
            return await super().handle_async_request(request)

    resolver, transport = Resolver({"hook.example.cn": ["8.8.8.8", GLOBAL_V4]}), FirstRefuses()
    await _post("http://hook.example.cn/hook", resolver, transport)
    assert [r.url.host for r in transport.requests] == ["8.8.8.8", GLOBAL_V4]


async def test_with_private_addresses_allowed_they_are_reached_resolved_once_and_pinned() -> None:
    resolver, transport = Resolver({"localhost": ["::1", "127.0.0.1"]}), Recorder()
    await _post("http://127.0.0.1:18796/hook", resolver, transport, allow_private=True)
    await _post("http://localhost:18796/hook", resolver, transport, allow_private=True)
    assert [str(r.url) for r in transport.requests] == ["http://127.0.0.1:18796/hook",
                                                        "http://[::1]:18796/hook"]
    assert transport.requests[1].headers["host"] == "localhost:18796"
    assert resolver.lookups == [("localhost", 18796)]


@pytest.mark.parametrize("allow_private", [True, False])
@pytest.mark.parametrize("url", ["http://１２７.０.０.１:18796/", "http://127.0.0.1:99999/",
                                 "http://[::1/x"])
async def test_a_url_stored_before_registration_checked_it_fails_before_any_request(
    url: str, allow_private: bool,
) -> None:
    resolver, transport = Resolver(), Recorder()
    with pytest.raises(InvalidInput):
        await _post(url, resolver, transport, allow_private=allow_private)
    assert resolver.lookups == [] and transport.requests == []
