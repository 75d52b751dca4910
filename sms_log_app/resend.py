"""Resend an SMS Log's message to the recipients that did not get it."""

import frappe
from frappe import _
from frappe.utils import get_fullname

from sms_log_app import capture, sending
from sms_log_app.status import DELIVERED, FAILED, FINAL_DELIVERY, PENDING, SENT, UNCONFIRMED

NOT_DELIVERED = tuple(status for status in FINAL_DELIVERY if status != DELIVERED)


@frappe.whitelist(methods=["POST"])
def resend(name: str, include_unconfirmed: bool = False) -> str:
	"""Send the message of log `name` again to its failed and undelivered recipients; return the new
	log's name. A number that got the message, or may still get it, in this log or in an earlier
	resend of the same message, is left out; so are the Unconfirmed ones (their SMS may have gone
	out), unless `include_unconfirmed`: the person resending accepts they may get it twice."""
	frappe.only_for("System Manager")
	log = frappe.get_doc("SMS Log", name)
	log.check_permission("read")
	if log.sender_name == capture.OTP_SENDER:
		frappe.throw(_("One-time codes are not resent: ask the user to request a new code."))

	original = log.resent_from or log.name
	family = [original, *frappe.get_all("SMS Log", {"resent_from": original}, pluck="name")]
	rows = frappe.get_all(
		"SMS Log Recipient",
		filters={"parent": ("in", family), "parenttype": "SMS Log"},
		fields=["parent", "number", "normalized_number", "status", "delivery_status"],
		order_by="idx",
	)
	reached = {
		_identity(r)
		for r in rows
		if r.status == SENT and (r.delivery_status or PENDING) in (DELIVERED, PENDING)
	}
	numbers, seen = [], set()
	for row in rows:
		if row.parent != log.name or _identity(row) in reached or _identity(row) in seen:
			continue
		unconfirmed = row.status == UNCONFIRMED and frappe.utils.sbool(include_unconfirmed)
		if row.status == FAILED or unconfirmed or row.delivery_status in NOT_DELIVERED:
			numbers.append(row.number)
			seen.add(_identity(row))
	if not numbers:
		frappe.throw(
			_("Every recipient of this SMS got it or may still get it: there is nobody to resend to.")
			if not include_unconfirmed
			else _("Every recipient of this SMS got it: there is nobody to resend to.")
		)

	return sending.send_and_log(
		numbers,
		log.message,
		sender_name=get_fullname(),
		success_msg=True,
		log_fields={
			"resent_from": original,
			"reference_doctype": log.reference_doctype,
			"reference_name": log.reference_name,
			"notification": log.notification,
			"message_class": log.message_class,
		},
	)


def _identity(row) -> str:
	"""The number as the log normalised it, or as typed where it could not."""
	return row.normalized_number or row.number
