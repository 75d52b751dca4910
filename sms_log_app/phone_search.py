"""Find SMS Logs by phone number, however the user types it, newest first.

The logs to a number come from the recipients' index (normalized_number, creation, parent), read
newest first and no further than needed, rather than from a join of every recipient row of the number
with its log sorted by the log's creation: that join reads all of a busy number's rows to show 20. A
log and its recipient rows share their creation time, so the order is the same.
"""

import frappe
from frappe import _
from frappe.desk import reportview
from frappe.utils import cint

from sms_log_app.numbers import to_e164
from sms_log_app.record_access import has_unrestricted_read
from sms_log_app.site_region import site_region

LOG_FIELDS = ("name", "sent_at", "status", "sender_name", "message")
NEWEST_FIRST = ("`tabSMS Log`.`creation` desc", "`tabSMS Log`.creation desc", "creation desc")


@frappe.whitelist()
def normalize_number(number: str) -> str | None:
	"""`number` as `SMS Log Recipient.normalized_number` stores it: E.164, with national numbers read
	as numbers of the site's country. None when `number` is not a phone number.

	The list view filters on the result, so "0500000001", "+966 50 000 0001" and "966500000001" all
	find the same logs.
	"""
	frappe.has_permission("SMS Log", "read", throw=True)
	return to_e164(number, site_region())


@frappe.whitelist()
def logs_to_number(number: str, limit: int = 20, start: int = 0) -> list[dict]:
	"""The newest `limit` SMS Logs sent to `number` (typed in any format), skipping `start`.

	GET /api/method/sms_log_app.phone_search.logs_to_number?number=0500000001
	"""
	e164 = normalize_number(number)
	if not e164:
		frappe.throw(_("{0} is not a phone number").format(frappe.bold(number)), frappe.ValidationError)
	limit, start = cint(limit), cint(start)
	if not unrestricted():
		return frappe.get_list(
			"SMS Log",
			filters=[["SMS Log Recipient", "normalized_number", "=", e164]],
			fields=[f"`tabSMS Log`.`{field}`" for field in LOG_FIELDS],
			order_by="`tabSMS Log`.`creation` desc",
			limit_start=start,
			limit_page_length=limit,
			distinct=True,
		)
	return newest_logs(e164, limit, start, ", ".join(f"l.{field}" for field in LOG_FIELDS))


def unrestricted() -> bool:
	"""Whether the user may read every SMS Log (not only shared ones or their own, and no User
	Permission or permission query condition narrows them), so that the shortcut through the index
	shows what `get_list` would."""
	return has_unrestricted_read("SMS Log")


@frappe.whitelist()
@frappe.read_only()
def get_list_page():
	"""The SMS Log list view's data method, `frappe.desk.reportview.get` with one shortcut: a page of
	the logs to one number, newest first, is found by `newest_log_names` and then read as usual."""
	args = frappe.form_dict
	filters = frappe.parse_json(args.get("filters") or "[]")
	if (
		unrestricted()
		and isinstance(filters, list)
		and len(filters) == 1
		and list(filters[0][:3]) == ["SMS Log Recipient", "normalized_number", "="]
		and args.get("order_by") in NEWEST_FIRST
	):
		names = newest_log_names(filters[0][3], cint(args.get("page_length")) or 20, cint(args.get("start")))
		args.filters = frappe.as_json([["SMS Log", "name", "in", names or [""]]])
		args.start = 0
	return reportview.get()


def newest_log_names(number: str, limit: int, start: int = 0) -> list[str]:
	"""The names of the newest logs sent to `number` (E.164), skipping `start`."""
	return [row.name for row in newest_logs(number, limit, start, "r.parent as name")]


def newest_logs(
	number: str, limit: int, start: int, columns: str, one_per_log: bool = True
) -> list[frappe._dict]:
	"""`columns` (SQL, of the recipient row `r` and, if they name it, its log `l`; one named `name`)
	of the newest logs sent to `number` (E.164), one row per log, skipping `start`; or, not
	`one_per_log`, every row of those logs with the number (a few of older logs may follow).

	A range scan of the index (normalized_number, creation, parent), newest first, joined to the logs
	by primary key where `l` is named. A log that went to the same number twice has two rows, so read
	on until enough logs are found or the rows run out.
	"""
	tables = "`tabSMS Log Recipient` r"
	if "l." in columns:
		tables += " join `tabSMS Log` l on l.name = r.parent"
	wanted = fetch = start + limit
	while True:
		rows = frappe.db.sql(
			f"select {columns} from {tables} where r.normalized_number = %s order by r.creation desc limit %s",
			(number, fetch),
			as_dict=True,
		)
		logs = list({row.name: row for row in rows}.values())
		if len(rows) < fetch or len(logs) >= wanted:
			return logs[start:wanted] if one_per_log else rows
		fetch *= 2
