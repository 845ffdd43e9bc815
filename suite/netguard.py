"""Where a tenant may point the server: the one guard for every URL a tenant types and the server
then opens itself (camera streams, webhooks).

A tenant must not be able to aim the server at the operator's own machine or infrastructure:
loopback services (the database, Redis, the app's own port), link-local and cloud metadata
addresses, "any address" (0.0.0.0, ::), or the server's files. Whether private (RFC 1918 / ULA)
networks are fine depends on the use: camera networks are private by nature, webhook receivers
are not. The operator, not the tenant, may allow more: named hosts, IPs or CIDRs.

Checks run twice: when the URL is saved (a literal address, "localhost"), and right before the
connection after resolving the name (DNS may point anywhere, and may change).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance-metadata endpoints outside the link-local range: Alibaba Cloud (100.100.100.200),
# Azure's wire server, AWS's IPv6 metadata address.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "168.63.129.16", "fd00:ec2::254")
)
# "This network" (0.0.0.0/8): Linux connects 0.x.y.z to the local host.
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
# inet_aton's forms (what libc and FFmpeg accept): 2130706433, 0x7f000001, 0177.0.0.1, 127.1.
_NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


class TargetRefused(Exception):
    """The URL points somewhere the operator has not allowed; str() says why (translated).
    `unresolvable` marks a name that did not resolve (nothing known about where it leads)."""

    def __init__(self, message: str, *, unresolvable: bool = False):
        super().__init__(message)
        self.unresolvable = unresolvable


@dataclass(frozen=True)
class Policy:
    """What a kind of target may reach. `allow` comes from the operator's settings: host names,
    IP addresses or CIDRs, or "*" for anything."""

    allow: tuple[str, ...] = ()
    private_ok: bool = False

    @classmethod
    def of(cls, allow: Iterable[str], *, private_ok: bool) -> Policy:
        entries = (str(a).strip().lower() for a in allow)
        return cls(allow=tuple(e for e in entries if e), private_ok=private_ok)

    def allows_name(self, host: str) -> bool:
        return "*" in self.allow or host in self.allow

    def allows_address(self, address: Address) -> bool:
        for entry in self.allow:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a host name: matched by allows_name
        return False


def parse_address(host: str) -> Address | None:
    """The address a literal host names, in every spelling a resolver accepts, else None."""
    host = host.strip().rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _NUMERIC_V4.match(host):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return _unwrap(address)


def _unwrap(address: Address) -> Address:
    """An IPv6 address that carries an IPv4 one (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96 NAT64,
    2002::/16 6to4) reaches that IPv4 address: judge that one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        packed = address.packed
        if packed[:12] == bytes(12) and int(address) > 1:
            return ipaddress.IPv4Address(packed[12:])
        if address in ipaddress.ip_network("64:ff9b::/96"):
            return ipaddress.IPv4Address(packed[12:])
    return address


def address_refusal(address: Address, policy: Policy) -> str | None:
    """Why the address may not be reached under the policy, or None when it may."""
    address = _unwrap(address)
    if policy.allows_address(address):
        return None
    if address.is_unspecified:
        return _("%(address)s is not a device address.") % {"address": address}
    if address.is_loopback or (address.version == 4 and address in THIS_NETWORK):
        return _("%(address)s is this server (loopback).") % {"address": address}
    if address in METADATA_ADDRESSES or address.is_link_local:
        return _("%(address)s is a link-local or cloud metadata address.") % {"address": address}
    if address.is_multicast or address.is_reserved:
        return _("%(address)s is a reserved or multicast address.") % {"address": address}
    if not policy.private_ok and (address.is_private or not address.is_global):
        return _("%(address)s is an internal address.") % {"address": address}
    return None


def _refuse(url: str, reason: str, *, unresolvable: bool = False) -> TargetRefused:
    host = urlsplit(url).hostname or ""
    return TargetRefused(
        _("The address %(host)s is not allowed: %(reason)s Ask the operator to allow it.")
        % {"host": host, "reason": reason},
        unresolvable=unresolvable,
    )


def _check_characters(url: str) -> None:
    # urlsplit drops tabs and newlines that other parsers (FFmpeg's) keep: the host checked
    # here must be the host connected to.
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise TargetRefused(_("The URL must not contain spaces or control characters."))


def check_url(url: str, policy: Policy, *, resolve: bool) -> list[Address]:
    """Raises TargetRefused when the URL's host may not be reached under the policy; returns the
    addresses checked. `resolve` also resolves a name and checks every address it gives (just
    before connecting); an unresolvable name is refused then, since the connection would go
    wherever a later lookup says."""
    _check_characters(url)
    try:
        host = urlsplit(url).hostname or ""
    except ValueError as exc:
        raise TargetRefused(_("The URL cannot be read.")) from exc
    host = host.rstrip(".")
    if not host:
        raise TargetRefused(_("The URL names no host."))
    if policy.allows_name(host):
        return []
    address = parse_address(host)
    if address is None:
        if host == "localhost" or host.endswith(".localhost"):
            raise _refuse(url, _("it is this server (loopback)."))
        if not resolve:
            return []
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError) as exc:
            raise _refuse(url, _("the name does not resolve."), unresolvable=True) from exc
        addresses = [parse_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        checked = [a for a in addresses if a is not None]
    else:
        checked = [address]
    for candidate in checked:
        reason = address_refusal(candidate, policy)
        if reason:
            raise _refuse(url, reason)
    return checked


def check_file_url(url: str, roots: Iterable[str | Path]) -> Path:
    """The local file a file:// URL names, once it is inside one of the operator's `roots`
    (symbolic links resolved first); TargetRefused otherwise. Open the returned path, not the
    URL, so what was checked is what is read."""
    _check_characters(url)
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise TargetRefused(_("A file URL looks like file:///path/to/clip.mp4."))
    if not parts.path.startswith("/") or parts.query or parts.fragment:
        raise TargetRefused(_("A file URL looks like file:///path/to/clip.mp4."))
    path = Path(parts.path).resolve()
    allowed = [Path(root).resolve() for root in roots if str(root).strip()]
    if not any(path.is_relative_to(root) for root in allowed):
        raise TargetRefused(
            _(
                "Files can only be read from the folders the operator allows (%(roots)s); "
                "ask the operator to allow this one."
            )
            % {"roots": ", ".join(str(r) for r in allowed) or _("none")}
        )
    return path
