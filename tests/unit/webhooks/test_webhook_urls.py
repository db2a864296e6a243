"""A webhook URL is checked whole at registration: what is registered can be requested as checked.

The refusals are ``InvalidInput`` on ``url`` (GraphQL ``ValidationError``) and append
nothing; an accepted URL is one httpx takes as it is, with the same host and port the
check saw, so no delivery can fail for a URL the registration let through.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.shared.errors import InvalidInput
from domain.webhooks.aggregate import check_url
from tests.unit.fakes import req
from tests.unit.webhooks.test_webhooks import setup

REFUSED = [
    # The attack's three: fullwidth digits (httpx: InvalidURL), a port out of range
    # (ValueError in the address check), an IPv6 address never closed.
    "http://１２７.０.０.１:18796/",
    "http://127.0.0.1:99999/",
    "http://[::1/x",
    # Hosts that parsers read in different ways.
    "http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/", "http://127.000.000.001/",
    "http://1.2.3/", "http://127.0.0.1./", "http://a_b.example.cn/", "http://-a.example.cn/",
    "http://a..example.cn/", "http://例子.中国/hook", "http://ex\u200bample.cn/",
    "http://exa%6dple.cn/", "http://[fe80::1%25eth0]/", "http://[::1]x/", "http://[1.2.3.4]/",
    "http://[::1/", "http://::1/", "http://" + "a" * 64 + ".cn/", "http://" + "a." * 127 + "cn/",
    # Ports.
    "http://a.example.cn:0/", "http://a.example.cn:/", "http://a.example.cn:+80/",
    "http://a.example.cn:８０/", "http://a.example.cn:80:81/", "http://a.example.cn:0x50/",
    "http://a.example.cn:123456/",
    # Characters no URL may hold, credentials, fragments, other schemes.
    "http://a.example.cn/a b", "http://a.example.cn/\ttab", "http://a.example.cn/\x00",
    "http://a.example.cn/\ud800", "http://a.example.cn/a\u3000b", "http://a.example.cn\\@b.cn/",
    "http://user@a.example.cn/", "http://a.example.cn/#frag", "http:a.example.cn/",
    "http:/a.example.cn/", "ftp://a.example.cn/", "javascript://a.example.cn/%0aalert(1)",
    "https://" + "a" * 2000,
]

ACCEPTED = [  # given, as registered, and the host and port httpx then requests
    ("https://grid-centre.example.cn/hooks/ledger", "https://grid-centre.example.cn/hooks/ledger",
     "grid-centre.example.cn", None),
    (" HTTP://Grid.Example.CN:8443/In?x=1 ", "http://grid.example.cn:8443/In?x=1",
     "grid.example.cn", 8443),
    ("http://127.0.0.1:18796/hook", "http://127.0.0.1:18796/hook", "127.0.0.1", 18796),
    ("http://[::FFFF:127.0.0.1]:8080/", "http://[::ffff:7f00:1]:8080/", "::ffff:7f00:1", 8080),
    ("http://[::1]/hook", "http://[::1]/hook", "::1", None),
    ("https://xn--fsqu00a.xn--fiqs8s/钩子?名=值",
     "https://xn--fsqu00a.xn--fiqs8s/%E9%92%A9%E5%AD%90?%E5%90%8D=%E5%80%BC",
     "xn--fsqu00a.xn--fiqs8s", None),
    ("http://a.example.cn./", "http://a.example.cn./", "a.example.cn.", None),
    ("http://a.example.cn:081/", "http://a.example.cn:81/", "a.example.cn", 81),
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_that_cannot_be_requested_exactly_as_checked_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_url(url)
    assert err.value.field == "url"


@pytest.mark.parametrize(("url", "written", "host", "port"), ACCEPTED)
def test_an_accepted_url_is_written_one_way_and_httpx_takes_it_as_checked(
    url: str, written: str, host: str, port: int | None,
) -> None:
    assert check_url(url) == written
    parsed = httpx.URL(written)
    assert (parsed.raw_host.decode(), parsed.port, str(parsed)) == (host, port, written)
    assert check_url(written) == written  # idempotent: the deliverer checks it again


async def test_the_attacks_urls_are_refused_at_registration_and_nothing_is_appended() -> None:
    w, hooks, secrets = await setup()
    head = await w.store.head()
    for url in ("http://１２７.０.０.１:18796/", "http://127.0.0.1:99999/", "http://[::1/x"):
        with pytest.raises(InvalidInput) as err:
            await hooks.register_webhook(req(w.admin), url=url)
        assert err.value.field == "url"
    assert await w.store.head() == head
    assert secrets.held == {}


_URL_CHARS = st.sampled_from(list(
    "aZ09-._~:/?#[]@!$&'()*+,;=%\\ \t\x00\u00e9１２７．。\u200b\ufeff\ud800:[]0x"))
_HOSTS = st.one_of(
    st.text(_URL_CHARS, max_size=12),
    st.from_regex(r"[a-z0-9.\-]{1,20}", fullmatch=True),
    st.ip_addresses().map(lambda a: f"[{a}]" if a.version == 6 else str(a)),
    st.integers(0, 2**32).map(str),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=st.sampled_from(["http", "https", "HTTP", "ftp", ""]), host=_HOSTS,
       port=st.one_of(st.none(), st.integers(-1, 70000).map(str), st.text(_URL_CHARS, max_size=4)),
       rest=st.text(_URL_CHARS, max_size=12))
@example(scheme="http", host="１２７.０.０.１", port="18796", rest="/")
@example(scheme="http", host="[::1", port=None, rest="/x")
def test_whatever_the_input_the_check_refuses_it_or_httpx_requests_the_same_host_and_port(
    scheme: str, host: str, port: str | None, rest: str,
) -> None:
    url = f"{scheme}://{host}" + ("" if port is None else f":{port}") + rest
    try:
        checked = check_url(url)
    except InvalidInput as exc:
        assert exc.field == "url"
        return
    parsed = httpx.URL(checked)  # never InvalidURL, ValueError or UnicodeError
    assert parsed.scheme in ("http", "https") and parsed.raw_host.isascii() and parsed.raw_host
    assert parsed.port is None or 1 <= parsed.port <= 65535
    assert checked.isascii() and check_url(checked) == checked
