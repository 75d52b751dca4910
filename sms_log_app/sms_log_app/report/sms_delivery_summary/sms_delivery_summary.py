# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""SMS Logs counted by day, sender and status.

`execute(filters)` is all a caller needs, from Desk or from
`bench --site <site> execute sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary.execute`:
without filters it covers the last 30 days, in one grouped query.
"""

from collections import defaultdict
from datetime import timedelta

import frappe
from frappe import _
from frappe.query_builder.functions import Concat_ws
from frappe.utils import add_days, formatdate, getdate, today

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
	logs themselves: a few thousand rows a year instead of every log. PyMySQL decodes each value in
	Python, which was most of the time for a year, so a row's day, status and sums come as one text.
	"""
	total = frappe.qb.DocType("SMS Log Daily Total")
	query = (
		frappe.qb.from_(total)
		.select(
			total.sender_name,
			Concat_ws(",", total.sent_on, total.status, *(total[field] for field in TOTALS)),
		)
		.where(total.sent_on[filters.from_date : filters.to_date])
		.where(total.logs > 0)
		# read along the unique index (sent_on, sender_name, status): one row per group already
		.orderby(total.sent_on)
		.orderby(total.sender_name)
		.orderby(total.status)
	)
	if filters.sender:
		query = query.where(total.sender_name.like(f"%{filters.sender}%"))
	if filters.status:
		query = query.where(total.status == filters.status)

	rows = []
	for sender_name, packed in query.run():
		sent_on, status, *sums = packed.split(",")
		logs, requested, sent, segments = map(int, sums)
		rows.append(
			frappe._dict(
				sent_on=sent_on,
				sender_name=sender_name or None,  # the totals keep a log without one under ""
				status=status,
				logs=logs,
				requested=requested,
				sent=sent,
				failed=requested - sent,
				segments=segments,
			)
		)
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
	days = [
		filters.from_date + timedelta(days=i) for i in range((filters.to_date - filters.from_date).days + 1)
	]
	logs = defaultdict(int)
	for row in rows:
		logs[row.sent_on, row.status] += row.logs
	return {
		"data": {
			"labels": day_labels(days),
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


def day_labels(days: list) -> list[str]:
	"""Each day as "27 Nov", in the user's language: what `formatdate(day, "d MMM")` gives, with the
	month's name formatted once a month instead of once a day (a year took 25 ms in Babel)."""
	months = {}
	for day in days:
		if (day.year, day.month) not in months:
			months[day.year, day.month] = formatdate(day, "MMM")
	return [f"{day.day} {months[day.year, day.month]}" for day in days]
