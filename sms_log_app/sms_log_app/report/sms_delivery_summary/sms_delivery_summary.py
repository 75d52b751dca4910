# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""SMS Logs counted by day, sender and status.

`execute(filters)` is all a caller needs, from Desk or from
`bench --site <site> execute sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary.execute`:
without filters it covers the last 30 days, in one grouped query.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Cast, Sum
from frappe.utils import add_days, date_diff, formatdate, getdate, today

from sms_log_app.daily_totals import TOTALS
from sms_log_app.status import DELIVERED, FAILED, PARTIALLY_DELIVERED, PARTIALLY_SENT, SENT, UNDELIVERED

DEFAULT_DAYS = 30
# the chart's colours, in the order the statuses are stacked
STATUS_COLORS = {
	DELIVERED: "#29cd42",
	SENT: "#2490ef",
	PARTIALLY_DELIVERED: "#f4d03f",
	PARTIALLY_SENT: "#ecad4b",
	UNDELIVERED: "#b52a2a",
	FAILED: "#e24c4c",
}


def execute(filters=None):
	filters = resolve_filters(filters)
	rows = get_data(filters)
	return get_columns(), rows, None, get_chart(rows, filters)


def resolve_filters(filters=None) -> frappe._dict:
	"""The filters with the date range filled in: the last 30 days unless given."""
	filters = frappe._dict(filters or {})
	filters.to_date = getdate(filters.to_date or today())
	filters.from_date = getdate(filters.from_date or add_days(filters.to_date, 1 - DEFAULT_DAYS))
	if filters.from_date > filters.to_date:
		frappe.throw(_("From Date must be on or before To Date."))
	return filters


def get_data(filters: frappe._dict) -> list[frappe._dict]:
	"""One row per day, sender and status: logs, recipients requested, sent and failed, and the
	segments billed (segments of each message times the recipients it was sent to).

	Read from the daily totals (`sms_log_app.daily_totals`), which hold the same sums as grouping the
	logs themselves, a few thousand rows a year instead of every log. The day comes as text and the
	sums as integers: decoding dates and decimals was half of the report's time for a year.
	"""
	total = frappe.qb.DocType("SMS Log Daily Total")
	query = (
		frappe.qb.from_(total)
		.select(
			Cast(total.sent_on, "CHAR").as_("day"),  # not named sent_on: GROUP BY would take the text
			total.sender_name,
			total.status,
			*(Cast(Sum(total[field]), "SIGNED").as_(field) for field in TOTALS),
		)
		.where(total.sent_on[filters.from_date : filters.to_date])
		# grouped and ordered along the index (sent_on, sender_name, status): no temporary table
		.groupby(total.sent_on, total.sender_name, total.status)
		.having(Sum(total.logs) > 0)
		.orderby(total.sent_on)
		.orderby(total.sender_name)
		.orderby(total.status)
	)
	if filters.sender:
		query = query.where(total.sender_name.like(f"%{filters.sender}%"))
	if filters.status:
		query = query.where(total.status == filters.status)

	rows = query.run(as_dict=True)
	for row in rows:
		row.sent_on = row.pop("day")
		row.failed = row.requested - row.sent
	rows.sort(key=lambda row: row.sent_on, reverse=True)  # newest day first; stable within a day
	return rows


def get_columns() -> list[dict]:
	return [
		{"fieldname": "sent_on", "label": _("Sent On"), "fieldtype": "Date", "width": 110},
		{"fieldname": "sender_name", "label": _("Sender Name"), "fieldtype": "Data", "width": 200},
		{
			"fieldname": "status",
			"label": _("Status"),
			"fieldtype": "Select",
			"options": "\n".join(STATUS_COLORS),
			"width": 120,
		},
		{"fieldname": "logs", "label": _("Logs"), "fieldtype": "Int", "width": 80},
		{"fieldname": "requested", "label": _("Requested"), "fieldtype": "Int", "width": 100},
		{"fieldname": "sent", "label": _("Sent"), "fieldtype": "Int", "width": 100},
		{"fieldname": "failed", "label": _("Failed"), "fieldtype": "Int", "width": 100},
		{"fieldname": "segments", "label": _("Segments"), "fieldtype": "Int", "width": 100},
	]


def get_chart(rows: list[frappe._dict], filters: frappe._dict) -> dict:
	"""Logs a day, stacked by status, over every day of the range."""
	days = [add_days(filters.from_date, i) for i in range(date_diff(filters.to_date, filters.from_date) + 1)]
	logs = defaultdict(int)
	for row in rows:
		logs[row.sent_on, row.status] += row.logs
	return {
		"data": {
			"labels": [formatdate(day, "d MMM") for day in days],
			"datasets": [
				{"name": _(status), "values": [logs[str(day), status] for day in days]}
				for status in STATUS_COLORS
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"colors": list(STATUS_COLORS.values()),
		"fieldtype": "Int",
	}
