"""What the person who sent SMS from Desk is told afterwards."""

import frappe
from frappe import _
from frappe.utils import escape_html

from sms_log_app.gateway import Outcome


def log_link(log_name: str | None) -> str:
	# a link only for those who may open it
	readable = log_name and frappe.has_permission("SMS Log", "read")
	return frappe.utils.get_link_to_form("SMS Log", log_name) if readable else ""


def show_queued(count: int, log_name: str):
	frappe.msgprint(
		_("SMS queued for {0} recipients; they are sent in the background. {1}").format(
			count, log_link(log_name)
		),
		indicator="blue",
	)


def show_scheduled(count: int, log_name: str, until):
	frappe.msgprint(
		_("SMS to {0} recipients scheduled for {1}; the SMS Log can cancel them until then. {2}").format(
			count, frappe.utils.format_datetime(until), log_link(log_name)
		),
		indicator="blue",
	)


def show_summary(outcomes: list[Outcome], log_name: str | None, skipped: int = 0):
	"""`skipped`: the numbers the send skipped (`recipient_rules`), which have no outcome."""
	sent = sum(o.accepted for o in outcomes)
	failed = len(outcomes) - sent
	link = log_link(log_name)
	if skipped:
		link = (
			_("{0} numbers skipped: opted out, or sent the same message a moment ago.").format(skipped)
			+ " "
			+ link
		)
	if not failed:
		frappe.msgprint(_("SMS sent to {0} recipients. {1}").format(sent, link), indicator="green")
		return
	reasons = "".join(
		f"<li>{frappe.bold(escape_html(o.number))}: {escape_html(o.error)}</li>"
		for o in outcomes[:20]
		if not o.accepted
	)
	frappe.msgprint(
		_("{0} SMS sent, {1} failed. {2}").format(sent, failed, link) + f"<ul>{reasons}</ul>",
		title=_("Some SMS were not sent") if sent else _("SMS not sent"),
		indicator="orange" if sent else "red",
	)
