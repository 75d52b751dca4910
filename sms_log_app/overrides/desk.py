"""Desk's own list and report calls, with what a caller sent escaped by the server.

Report Builder and the list sidebar's group-by counts draw the values these calls return as HTML. For
the fields of `sms_log_app.verbatim` they return them escaped, so that a value holding markup is text
on the page whether or not the page's formatters ran. Nothing stored changes, and the exports, REST and
`frappe.client` still give the values as they are.
"""

import frappe
from frappe.desk import listview, reportview

from sms_log_app.verbatim import as_text, verbatim_fields


@frappe.whitelist()
@frappe.read_only()
def get():
	"""`frappe.desk.reportview.get` (Report Builder, and lists other than SMS Log's own), escaped."""
	data = reportview.get()
	doctype = frappe.form_dict.get("doctype")
	if not isinstance(data, dict) or not data.get("keys") or not doctype:
		return data
	columns = [i for i, key in enumerate(data["keys"]) if _is_verbatim(doctype, key)]
	if columns:
		for row in data["values"]:
			for i in columns:
				row[i] = as_text(row[i])
	return data


@frappe.whitelist()
@frappe.read_only()
def get_group_by_count(doctype: str, current_filters: str, field: str) -> list[dict]:
	"""`frappe.desk.listview.get_group_by_count`, with the values of a verbatim field escaped: the
	sidebar writes them into its dropdown as HTML."""
	counts = listview.get_group_by_count(doctype, current_filters, field)
	if field in verbatim_fields(doctype):
		for row in counts:
			row["name"] = as_text(row.get("name"))
	return counts


def _is_verbatim(doctype: str, key: str) -> bool:
	# Report Builder names a child table's columns "<Child DocType>:<field>"
	child, _sep, fieldname = key.rpartition(":")
	fieldname = fieldname.strip("`")
	return fieldname in verbatim_fields(child or doctype)
