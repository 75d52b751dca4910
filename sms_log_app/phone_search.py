"""Find SMS Logs by phone number, however the user types it."""

import frappe

from sms_log_app.log_writer import site_region
from sms_log_app.numbers import to_e164


@frappe.whitelist()
def normalize_number(number: str) -> str | None:
	"""`number` as `SMS Log Recipient.normalized_number` stores it: E.164, with national numbers read
	as numbers of the site's country. None when `number` is not a phone number.

	The list view filters on the result, so "0500000001", "+966 50 000 0001" and "966500000001" all
	find the same logs.
	"""
	frappe.has_permission("SMS Log", "read", throw=True)
	return to_e164(number, site_region())
