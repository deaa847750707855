"""Which addresses the bot may fetch from: a feed URL typed in Discord must not reach the host's own network.

A URL names a host; the host resolves to addresses; only public ones are fetched unless the operator
allows more (:class:`FetchPolicy`). The check sits where aiohttp connects, so it covers the first
request and every redirect hop alike, and the connection goes to the very addresses that were
checked: the resolver hands its checked answer straight to the connector, so there is no second
lookup a DNS server could answer differently (DNS rebinding). aiohttp never asks the resolver about
an IP literal (``http://127.0.0.1/``, ``http://[::1]/``), so a client middleware, run for each hop,
checks those.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(aiohttp.ClientConnectionError):
    """A host the policy does not allow: a ``ClientError`` and no ``OSError``, so aiohttp passes it on unwrapped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _hosts(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple | set | frozenset):
        raise TypeError(f"allow_hosts must be host names, not {value!r}")
    return frozenset(h for h in (_normal_host(str(item)) for item in value) if h)


@dataclass(frozen=True)
class FetchPolicy:
    """What may be fetched besides public addresses: everything (``allow_private``) or the named hosts.

    The default refuses every non-public address; the operator relaxes it with
    ``FESTBOT_FETCH_ALLOW_PRIVATE`` and ``FESTBOT_FETCH_ALLOW_HOSTS`` (see ``bot.services.fetch_policy``).
    """

    allow_private: bool = False
    allow_hosts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow_hosts", _hosts(self.allow_hosts))

    def allows_host(self, host: str) -> bool:
        """Whether ``host`` is fetched whatever its addresses (a host name or an IP literal, as in the URL)."""
        return self.allow_private or _normal_host(host).strip("[]") in self.allow_hosts

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` (which resolved to ``address``) may not be fetched, or None when it may."""
        if self.allows_host(host):
            return None
        kind = address_refusal(address)
        if kind is None:
            return None
        article = "an" if kind[0] in "aeiou" else "a"
        if _normal_host(host).strip("[]") == _normal_host(address):
            return f"refused: {address} is {article} {kind} address"
        return f"refused: {host} resolves to {address}, {article} {kind} address"


def address_refusal(address: str) -> str | None:
    """The kind of non-public address ``address`` is (``"loopback"``, ``"private"``...), or None for a public one.

    An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is judged as the IPv4 address it carries, which
    is where a connection to it goes.
    """
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unparseable"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flagged in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),  # before private, which also covers 240.0.0.0/4
        ("private", ip.is_private),
    ):
        if flagged:
            return kind
    # What is left and still not global: shared address space (100.64.0.0/10) and the like.
    return None if ip.is_global else "non-public"


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` (as in a URL, brackets allowed) is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class GuardedResolver(AbstractResolver):
    """Resolves a host name once and refuses it if any of its addresses is not allowed.

    Refusing the whole host when one address is private (rather than keeping the public ones) leaves
    nothing to chance: a name that mixes public and private answers is either misconfigured or an attack.
    """

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:
            self._inner = aiohttp.ThreadedResolver()  # needs the running loop: made on first use
        answers = await self._inner.resolve(host, port, family)
        for answer in answers:
            reason = self.policy.refusal(host, answer["host"])
            if reason is not None:
                raise AddressRefused(reason)
        return answers

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


def literal_guard(policy: FetchPolicy) -> aiohttp.ClientMiddlewareType:
    """A client middleware refusing a request (first or redirect hop) to an IP literal the policy does not allow."""

    async def guard(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
        host = request.url.host or ""
        if is_ip_literal(host):
            reason = policy.refusal(host, host.strip("[]"))
            if reason is not None:
                raise AddressRefused(reason)
        return await handler(request)

    return guard


def guarded_session(
    policy: FetchPolicy, *, headers: dict[str, str] | None = None, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """A session that fetches only what ``policy`` allows; open it inside the running event loop.

    ``resolver`` answers the DNS questions (the system's ``getaddrinfo`` by default); its answers are
    checked, then connected to. ``trust_env`` stays off: a proxy from the environment would make the
    connection's real target invisible to these checks.
    """
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy, resolver))
    return aiohttp.ClientSession(
        headers=headers, connector=connector, middlewares=(literal_guard(policy),), trust_env=False
    )
