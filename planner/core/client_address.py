"""The client's address behind the unit's reverse proxy, never taken from a header anyone can send.

Pure Python. X-Forwarded-For is a list every hop appends to: "client, proxy 1, …", the last
entry added by the hop nearest to us. Only when the connection itself comes from a trusted proxy
is the header read at all, and then from the right: the first address that is not one of the
trusted proxies is the client. An address a client wrote into the header itself sits to the left
of what the trusted proxy appended, and is never reached. Some proxies write the port too
("203.0.113.9:443", "[2001:db8::1]:443") or bracket an IPv6 address: the address is read without them.
"""

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Proxies as addresses or networks ("127.0.0.1", "10.0.0.0/8"); raises ValueError on a typo."""
    return tuple(ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str | None:
    """The client: REMOTE_ADDR, or behind a trusted proxy the right-most untrusted X-Forwarded-For entry."""
    if not remote_addr or not _trusted(remote_addr, trusted) or not forwarded_for:
        return remote_addr
    for entry in reversed(forwarded_for.split(",")):
        candidate = _without_port(entry.strip())
        try:
            ip_address(candidate)
        except ValueError:
            # An entry the proxy did not write (a port, a word): stop, and count the proxy itself.
            return remote_addr
        if not _trusted(candidate, trusted):
            return candidate
    return remote_addr


def _without_port(entry: str) -> str:
    """ "203.0.113.9:443" → "203.0.113.9", "[2001:db8::1]:443" and "[2001:db8::1]" → "2001:db8::1"."""
    if entry.startswith("["):
        closing = entry.find("]")
        rest = entry[closing + 1 :]
        if closing > 0 and (not rest or (rest.startswith(":") and rest[1:].isdigit())):
            return entry[1:closing]
        return entry
    host, colon, port = entry.rpartition(":")
    if colon and host.count(":") == 0 and port.isdigit():
        return host  # IPv4 with a port; a bare IPv6 address has several colons
    return entry
