import frappe

from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import LIMITS

NOTIFICATION_CAPS = ("hourly_notification_parts_per_address", "hourly_notification_parts_for_site")


def execute():
	"""Store the default caps of Notifications fired by the public on sites installed before them:
	migrate adds a Single's new fields without their defaults, and the form would show them empty."""
	for fieldname in NOTIFICATION_CAPS:
		if not frappe.db.get_single_value("SMS Log Settings", fieldname):
			frappe.db.set_single_value("SMS Log Settings", fieldname, LIMITS[fieldname])
