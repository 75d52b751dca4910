"""Desk's own list and report calls, with what a caller sent escaped by the server.

Report Builder and the list sidebar's group-by counts draw the values these calls return as HTML. For
the fields of `sms_log_app.verbatim` they return them escaped, so that a value holding markup is text
on the page whether or not the page's formatters ran. Nothing stored changes, and REST and
`frappe.client` still give the values as they are. The CSV and Excel exports give them as they are
too, except that text a spreadsheet would run as a formula is written as text (`sms_log_app.safe_export`).
"""

import frappe
from frappe.desk import listview, query_report, reportview

from sms_log_app import safe_export
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


@frappe.whitelist()
@frappe.read_only()
def export_query():
	"""`frappe.desk.reportview.export_query` (Report Builder's CSV and Excel export), with the text a
	spreadsheet would run as a formula written as text (`sms_log_app.safe_export`)."""
	with safe_export.cells_as_text(safe_export.exports_verbatim(doctype=frappe.form_dict.get("doctype"))):
		return reportview.export_query()


@frappe.whitelist()
def export_query_report():
	"""`frappe.desk.query_report.export_query` (a query report's CSV and Excel export), likewise."""
	with safe_export.cells_as_text(safe_export.exports_verbatim(report=frappe.form_dict.get("report_name"))):
		return query_report.export_query()


def _is_verbatim(doctype: str, key: str) -> bool:
	# Report Builder names a child table's columns "<Child DocType>:<field>"
	child, _sep, fieldname = key.rpartition(":")
	fieldname = fieldname.strip("`")
	return fieldname in verbatim_fields(child or doctype)
