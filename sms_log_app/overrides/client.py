import frappe
from frappe import _
from frappe.client import get_count as frappe_get_count

PROTECTED = ("SMS Log", "SMS Log Recipient")


@frappe.whitelist()
def get_count(doctype, filters=None, debug=False, cache=False):
	"""`frappe.client.get_count` with the read permission check it lacks in v15: without it any user
	could count SMS Logs by message or number and so learn what was sent to whom."""
	if doctype in PROTECTED and not frappe.has_permission("SMS Log", "read"):
		frappe.throw(_("No permission for {0}").format(_("SMS Log")), frappe.PermissionError)
	return frappe_get_count(doctype, filters=filters, debug=debug, cache=cache)
