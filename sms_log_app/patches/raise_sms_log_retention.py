import frappe

from sms_log_app.sms_log_app.doctype.sms_log.sms_log import MIN_RETENTION_DAYS


def execute():
	"""Log Settings saved before the floor may keep SMS Logs for less: they keep them the least allowed
	now, so that their next save (Frappe's daily clean-up saves them) passes."""
	frappe.db.set_value(
		"Logs To Clear",
		{"parent": "Log Settings", "ref_doctype": "SMS Log", "days": ("<", MIN_RETENTION_DAYS)},
		"days",
		MIN_RETENTION_DAYS,
	)
