# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""SMS Logs counted by day, sender, status and class.

`execute(filters)` is all a caller needs, from Desk or from
`bench --site <site> execute sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary.execute`:
without filters it covers the last 30 days, in one grouped query.
"""

from collections import defaultdict
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import add_days, formatdate, getdate, today

from sms_log_app.record_access import has_unrestricted_read
from sms_log_app.references import MESSAGE_CLASSES
from sms_log_app.status import (
	CANCELLED,
	DELIVERED,
	FAILED,
	NOT_SENT,
	PARTIALLY_DELIVERED,
	PARTIALLY_SENT,
	QUEUED,
	SCHEDULED,
	SENDING,
	SENT,
	UNCONFIRMED,
	UNDELIVERED,
)

DEFAULT_DAYS = 30
# a send still to go out: its recipients not sent are not failures (yet)
NOT_YET_SENT = (SCHEDULED, QUEUED, SENDING)
# ASCII record and unit separators between a day's rows and their values (get_data)
ROW_SEPARATOR, FIELD_SEPARATOR = "\x1e", "\x1f"
# the chart's colours, in the order the statuses are stacked
STATUS_COLORS = {
	DELIVERED: "#29cd42",
	SENT: "#2490ef",
	PARTIALLY_DELIVERED: "#f4d03f",
	PARTIALLY_SENT: "#ecad4b",
	UNDELIVERED: "#b52a2a",
	FAILED: "#e24c4c",
	UNCONFIRMED: "#9b59b6",
	SENDING: "#7cd6fd",
	QUEUED: "#98a1a9",
	SCHEDULED: "#36c2c2",
	CANCELLED: "#c0c6cc",
	NOT_SENT: "#dfe3e7",
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
	"""One row per day, sender, status and class: logs, recipients requested, sent and failed, and the
	segments billed (segments of each message times the recipients it was sent to).

	Read from the daily totals (`sms_log_app.daily_totals`), which hold the same sums as grouping the
	logs themselves: a few thousand rows a year instead of every log. PyMySQL reads each row and value
	in Python, which was most of the time for a year, so each day comes as one text of its rows.
	The totals count every log, so a user who may read only some logs gets those grouped instead.
	"""
	if not has_unrestricted_read("SMS Log"):
		return readable_data(filters)
	conditions = ["sent_on between %(from_date)s and %(to_date)s", "logs > 0"]
	if filters.sender:
		conditions.append("sender_name like %(sender)s")
	if filters.status:
		conditions.append("status = %(status)s")
	if filters.message_class:
		conditions.append("message_class = %(message_class)s")
	frappe.db.sql("set session group_concat_max_len = 67108864")  # a day's rows, never cut short
	days = frappe.db.sql(
		f"""select sent_on, group_concat(
				concat_ws(char(31), replace(replace(ifnull(sender_name, ''), char(30), ''), char(31), ''),
					ifnull(status, ''), ifnull(message_class, ''), logs, requested, sent, skipped, segments)
				order by sender_name, status, message_class separator %(row)s)
			from `tabSMS Log Daily Total`
			where {" and ".join(conditions)}
			group by sent_on order by sent_on desc""",
		{**filters, "sender": f"%{filters.sender}%", "row": ROW_SEPARATOR},
	)
	rows = []
	for day, packed in days:
		for row in packed.split(ROW_SEPARATOR):
			sender_name, status, message_class, *sums = row.split(FIELD_SEPARATOR)
			logs, requested, sent, skipped, segments = map(int, sums)
			rows.append(
				frappe._dict(
					sent_on=day,
					sender_name=sender_name or None,  # the totals keep a log without one under ""
					status=status,
					message_class=message_class,
					logs=logs,
					requested=requested,
					sent=sent,
					skipped=skipped,
					failed=failed(status, requested, sent, skipped),
					segments=segments,
				)
			)
	return rows


def readable_data(filters: frappe._dict) -> list[frappe._dict]:
	"""`get_data` from the logs the user may read, grouped through Frappe's permission query."""
	conditions = [["sent_on", "between", [filters.from_date, filters.to_date]]]
	if filters.sender:
		conditions.append(["sender_name", "like", f"%{filters.sender}%"])
	if filters.status:
		conditions.append(["status", "=", filters.status])
	if filters.message_class:
		conditions.append(["message_class", "=", filters.message_class])
	rows = frappe.get_list(
		"SMS Log",
		filters=conditions,
		fields=[
			"sent_on",
			"sender_name",
			"status",
			"message_class",
			"count(name) as logs",
			"sum(noofrequested_sms) as requested",
			"sum(noofsent_sms) as sent",
			"sum(noofskipped_sms) as skipped",
			"sum(segments * noofsent_sms) as segments",
		],
		group_by="sent_on, sender_name, status, message_class",
		order_by="sent_on desc, sender_name asc, status asc, message_class asc",
		limit_page_length=0,
	)
	for row in rows:
		row.update({key: int(row[key] or 0) for key in ("logs", "requested", "sent", "skipped", "segments")})
		row.failed = failed(row.status, row.requested, row.sent, row.skipped)
	return rows


def failed(status: str, requested: int, sent: int, skipped: int) -> int:
	"""Recipients the send tried and did not get through: none yet for a send still to go out, and
	never those a rule or a user skipped (opted out, duplicate, cancelled, expired)."""
	if status in NOT_YET_SENT:
		return 0
	return requested - sent - skipped


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
		{
			"fieldname": "message_class",
			"label": _("Message Class"),
			"fieldtype": "Select",
			"options": "\n".join(MESSAGE_CLASSES),
			"width": 120,
		},
		{"fieldname": "logs", "label": _("Logs"), "fieldtype": "Int", "width": 80},
		{"fieldname": "requested", "label": _("Requested"), "fieldtype": "Int", "width": 100},
		{"fieldname": "sent", "label": _("Sent"), "fieldtype": "Int", "width": 100},
		{"fieldname": "skipped", "label": _("Skipped"), "fieldtype": "Int", "width": 100},
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
				{"name": _(status), "values": [logs[day, status] for day in days]} for status in STATUS_COLORS
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
