"""The address of a request's client, as far as the site can know it.

Frappe v15 takes the first X-Forwarded-For entry as `frappe.local.request_ip`, and the client writes
that entry itself. Here the client is the address that connected, unless that address is one of the
reverse proxies named in SMS Log Settings (*Trusted Proxies*), or the machine itself (127.0.0.1, ::1),
where the nginx that `bench setup nginx` writes runs: then it is the last X-Forwarded-For entry that
is not one of them, since each proxy appends the address it was called from. An address that is not
a valid IP address is no address at all.
"""

import ipaddress

import frappe

from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# trusted always: only a proxy on the machine itself connects from these
LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]


def client_ip() -> str | None:
	"""The client address of the current request, or None outside one or when it is not valid."""
	request = getattr(frappe.local, "request", None)
	if request is None:
		return None
	address = request.environ.get("REMOTE_ADDR")
	proxies = LOOPBACK + trusted_proxies(get_settings().trusted_proxies)
	if is_one_of(address, proxies):
		forwarded = [entry.strip() for entry in (request.headers.get("X-Forwarded-For") or "").split(",")]
		for entry in reversed([entry for entry in forwarded if entry]):
			address = entry
			if not is_one_of(entry, proxies):
				break
	return valid_ip(address)


def trusted_proxies(text: str | None) -> list[Network]:
	"""The networks listed in `text`, one a line; lines that are not an address or network are skipped."""
	networks = []
	for line in (text or "").splitlines():
		try:
			networks.append(ipaddress.ip_network(line.strip(), strict=False))
		except ValueError:
			continue
	return networks


def is_one_of(address: str | None, networks: list[Network]) -> bool:
	ip = valid_ip(address)
	return bool(ip) and any(ipaddress.ip_address(ip) in network for network in networks)


def valid_ip(address: str | None) -> str | None:
	"""`address` in its normal form when it is an IPv4 or IPv6 address, else None."""
	try:
		return str(ipaddress.ip_address((address or "").strip()))
	except ValueError:
		return None
