"""The opt-out link of a promotional SMS: `{opt_out_link}` in a message becomes, for each recipient, a
short link to the public page `/sms-opt-out` (`opt_out_page`) that records the opt-out in one click.

The link carries the number and a token, a truncated HMAC of the number with the site's encryption
key: nobody can opt out a number without its link. A message with the placeholder is personal, so it
goes one number a request, each with its own text (`gateway.Text`); the log keeps the text with the
placeholder, and its parts are counted with a link in its place.
"""

import base64
import hashlib
import hmac

import frappe
from frappe.rate_limiter import rate_limit
from frappe.utils import get_url
from frappe.utils.password import get_encryption_key

from sms_log_app import opt_outs
from sms_log_app.gateway import Text
from sms_log_app.numbers import to_e164
from sms_log_app.site_region import site_region

PLACEHOLDER = "{opt_out_link}"
ROUTE = "/sms-opt-out"
TOKEN_BYTES = 9  # 72 bits, 12 characters
LONGEST_NUMBER = 15  # digits of an E.164 number
# per client address and minute: the page, and the opt-outs it records
PAGE_VIEWS_PER_MINUTE = 60
OPT_OUTS_PER_MINUTE = 10


class ForgedOptOutLink(frappe.PermissionError):
	pass


def token(e164: str) -> str:
	digest = hmac.new(get_encryption_key().encode(), f"sms-opt-out:{e164}".encode(), hashlib.sha256).digest()
	return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode()


def link(e164: str) -> str:
	return get_url(f"{ROUTE}?n={e164.lstrip('+')}&t={token(e164)}")


def personal(message: str) -> Text:
	"""The message as sent: where it has the placeholder, a function giving each number its own text."""
	if PLACEHOLDER not in message:
		return message
	region = site_region()

	def text_for(number: str) -> str:
		e164 = to_e164(number, region)
		return message.replace(PLACEHOLDER, link(e164) if e164 else "")

	return text_for


def as_counted(message: str) -> str:
	"""The message with the longest link in place of the placeholder, for counting its parts."""
	if PLACEHOLDER not in message:
		return message
	return message.replace(PLACEHOLDER, link("+" + "9" * LONGEST_NUMBER))


def verified_number(digits: str | None, given_token: str | None) -> str | None:
	"""The E.164 number of a link whose token is the number's own, else None."""
	if not (isinstance(digits, str) and isinstance(given_token, str)):
		return None  # missing, or a parameter given twice
	if not digits.isdigit() or len(digits) > LONGEST_NUMBER:
		return None
	e164 = "+" + digits
	return e164 if hmac.compare_digest(token(e164), given_token) else None


@rate_limit(limit=PAGE_VIEWS_PER_MINUTE, seconds=60)
def page_state(digits: str | None, given_token: str | None) -> dict:
	"""What the page shows: the number (masked) of a genuine link and whether it has opted out."""
	e164 = verified_number(digits, given_token)
	if not e164:
		return {"valid": False}
	opted_out = bool(frappe.db.get_value(opt_outs.DOCTYPE, {"name": e164, "removed": 0}, "name"))
	return {"valid": True, "number": masked(e164), "opted_out": opted_out}


def masked(e164: str) -> str:
	"""The number as the page shows it: enough for its owner to recognise, not the whole of it."""
	return e164[:4] + "•" * (len(e164) - 7) + e164[-3:]


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=OPT_OUTS_PER_MINUTE, seconds=60)
def opt_out(n: str | None = None, t: str | None = None, lang: str | None = None):
	"""The page's button: record the opt-out of the link's number, then show the page again."""
	e164 = verified_number(n, t)
	if not e164:
		frappe.throw(frappe._("This opt-out link is not valid."), ForgedOptOutLink)
	opt_outs.record(e164, opt_outs.LINK)
	query = f"n={n}&t={t}" + (f"&lang={lang}" if lang in ("ar", "en") else "")
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = f"{ROUTE}?{query}"
