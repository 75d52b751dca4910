"""The figures of the SMS Log workspace's Number Cards (type Custom)."""

import frappe
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import add_days, flt, today

from sms_log_app.record_access import has_unrestricted_read
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import FAILED, PARTIALLY_DELIVERED, PARTIALLY_SENT, UNCONFIRMED, UNDELIVERED

DELIVERY_RATE_DAYS = 30
# the statuses of logs with a recipient the gateway did not accept or may not have got (or, later,
# that was not delivered)
NOT_ALL_SENT = (FAILED, PARTIALLY_SENT, PARTIALLY_DELIVERED, UNDELIVERED, UNCONFIRMED)


@frappe.whitelist()
def sent_today(filters=None) -> dict:
	"""SMS the gateway accepted today, one per recipient."""
	sent, _requested = _totals(today())
	return _card(sent, "Int", {"sent_on": today()})


@frappe.whitelist()
def failed_today(filters=None) -> dict:
	"""SMS the gateway did not accept today, one per recipient; it opens today's logs with a failure."""
	sent, requested = _totals(today())
	return _card(requested - sent, "Int", {"sent_on": today(), "status": ["in", NOT_ALL_SENT]})


@frappe.whitelist()
def delivery_rate(filters=None) -> dict:
	"""Recipients the gateway accepted over the last 30 days, as a percentage of those requested."""
	since = add_days(today(), -(DELIVERY_RATE_DAYS - 1))
	sent, requested = _totals(since)
	rate = flt(100 * sent / requested, 1) if requested else 0
	return _card(rate, "Percent", {"sent_on": [">=", since]}, precision=1)


@frappe.whitelist()
def provider_balance(filters=None) -> dict:
	"""The SMS provider account's balance as last checked (SMS Log Settings; 0 before the first
	check), for System Managers; it opens SMS Settings, where the balance is checked."""
	frappe.only_for("System Manager")
	return {
		"value": flt(get_settings().provider_balance),
		"fieldtype": "Float",
		"precision": 2,
		"route": ["Form", "SMS Settings"],
		"route_options": {},
	}


def _totals(since: str) -> tuple[int, int]:
	"""(sent, requested) recipients of the logs sent on or after `since` that the user may read."""
	frappe.has_permission("SMS Log", "read", throw=True)
	if not has_unrestricted_read("SMS Log"):
		(row,) = frappe.get_list(
			"SMS Log",
			filters={"sent_on": (">=", since)},
			fields=["sum(noofsent_sms) as sent", "sum(noofrequested_sms) as requested"],
			order_by=None,
			limit_page_length=0,
		)
		return int(row.sent or 0), int(row.requested or 0)
	log = frappe.qb.DocType("SMS Log")
	sent, requested = (
		frappe.qb.from_(log)
		.select(Coalesce(Sum(log.noofsent_sms), 0), Coalesce(Sum(log.noofrequested_sms), 0))
		.where(log.sent_on >= since)
		.run()[0]
	)
	return int(sent), int(requested)


def _card(value, fieldtype: str, route_options: dict, precision: int | None = None) -> dict:
	# Desk formats the value as a field of this type and precision (else the system's float precision)
	return {
		"value": value,
		"fieldtype": fieldtype,
		"precision": precision,
		"route": ["List", "SMS Log"],
		"route_options": route_options,
	}
