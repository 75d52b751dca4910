import frappe

from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import LIMITS

OLD_DEFAULT = 1000


def execute():
	"""Bulk sends are queued now: sites still at the old per-send limit get the queue's size, and the
	new bulk settings get their defaults."""
	current = frappe.db.get_single_value("SMS Log Settings", "max_recipients")
	if not current or current == OLD_DEFAULT:
		frappe.db.set_single_value("SMS Log Settings", "max_recipients", LIMITS["max_recipients"])
	if not frappe.db.get_single_value("SMS Log Settings", "queue_threshold"):
		frappe.db.set_single_value("SMS Log Settings", "queue_threshold", LIMITS["queue_threshold"])
