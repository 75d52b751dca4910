import frappe
from frappe.client import get_count as frappe_get_count

from sms_log_app.record_access import check_read, count_readable, has_unrestricted_read


@frappe.whitelist()
def get_count(doctype, filters=None, debug=False, cache=False):
	"""`frappe.client.get_count` with the read permission check it lacks in v15, for every DocType:
	without it any user could count records by any field (SMS Logs by message or number, refusals by
	IP address, users by anything) and so learn their values. A user who may read only some records
	counts those (shares, If Owner, User Permissions, permission query conditions)."""
	check_read(doctype)
	if has_unrestricted_read(doctype):
		return frappe_get_count(doctype, filters=filters, debug=debug, cache=cache)
	return count_readable(doctype, filters)
