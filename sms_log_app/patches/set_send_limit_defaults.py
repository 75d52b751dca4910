import frappe

from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import LIMITS


def execute():
	"""Store the default limits on sites installed before them: migrate adds a Single's new fields
	without their defaults, and the settings form would show them empty (and refuse to save)."""
	for fieldname in LIMITS:
		if not frappe.db.get_single_value("SMS Log Settings", fieldname):
			frappe.db.set_single_value("SMS Log Settings", fieldname, LIMITS[fieldname])
