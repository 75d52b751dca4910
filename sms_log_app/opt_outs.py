"""Numbers that asked for no more promotional SMS (SMS Opt-Out): recorded from Desk, a CSV import, the
opt-out link of a message (`opt_out_link`) or a gateway's report, and removed by a user with a reason.

A removal keeps the record: it is marked removed, with who removed it, when and why, and no longer
applies; the record's version history keeps every earlier opt-out and removal of the number.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from sms_log_app.numbers import to_e164
from sms_log_app.providers import reasons
from sms_log_app.site_region import site_region

DOCTYPE = "SMS Opt-Out"
DESK, LINK, IMPORT, GATEWAY_REPORT = "Desk", "Link", "Import", "Gateway Report"
MANAGER_ROLE = "SMS Manager"


class InvalidOptOutNumber(frappe.ValidationError):
	pass


class RemovalWithoutReason(frappe.ValidationError):
	pass


def normalized(number: str) -> str:
	"""`number` in E.164, or a clear refusal."""
	e164 = to_e164(str(number or ""), site_region())
	if not e164:
		frappe.throw(
			_("{0} is not a mobile number: an opt-out needs one, such as +966500000001.").format(
				frappe.bold(number or _("(empty)"))
			),
			InvalidOptOutNumber,
			title=_("Invalid number"),
		)
	return e164


def fill_new(doc):
	"""A new opt-out: its number in E.164 (also its name), when, how and by whom."""
	doc.number = doc.name = normalized(doc.number)
	doc.opted_out_at = doc.opted_out_at or now_datetime()
	if frappe.flags.in_import:
		doc.source = IMPORT
	doc.source = doc.source or DESK
	doc.opted_out_by = doc.opted_out_by or frappe.session.user
	doc.removed, doc.removed_at, doc.removed_by, doc.removal_reason = 0, None, None, None


def check_removal(doc):
	if doc.removed and not (doc.removal_reason or "").strip():
		frappe.throw(_("Removing an opt-out needs a reason."), RemovalWithoutReason)


def record(number: str, source: str) -> str:
	"""Opt `number` out (again, where an earlier opt-out was removed); return its E.164 form."""
	e164 = normalized(number)
	if not frappe.db.exists(DOCTYPE, e164):
		frappe.get_doc({"doctype": DOCTYPE, "number": e164, "source": source}).insert(ignore_permissions=True)
		return e164
	doc = frappe.get_doc(DOCTYPE, e164)
	if doc.removed:
		doc.update(
			{
				"opted_out_at": now_datetime(),
				"source": source,
				"opted_out_by": frappe.session.user,
				"removed": 0,
				"removed_at": None,
				"removed_by": None,
				"removal_reason": None,
			}
		)
		doc.save(ignore_permissions=True)
	return e164


@frappe.whitelist(methods=["POST"])
def remove(number: str, reason: str):
	"""Remove the opt-out of `number` with `reason` (a user who may change opt-outs): promotional SMS go
	to it again. The record stays, marked removed."""
	doc = frappe.get_doc(DOCTYPE, normalized(number))
	doc.check_permission("write")
	if not (reason or "").strip():
		frappe.throw(_("Removing an opt-out needs a reason."), RemovalWithoutReason)
	if doc.removed:
		return
	doc.update(
		{
			"removed": 1,
			"removed_at": now_datetime(),
			"removed_by": frappe.session.user,
			"removal_reason": reason,
		}
	)
	doc.save()


def add_role():
	"""The role that may add and remove opt-outs besides System Managers. On install and migrate."""
	if not frappe.db.exists("Role", MANAGER_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": MANAGER_ROLE, "desk_access": 1}).insert(
			ignore_permissions=True
		)


def record_unsubscribed(outcomes) -> list[str]:
	"""Opt out the numbers a provider refused as unsubscribed (the recipient asked it to stop, such as
	Twilio's 21610 after a STOP), in the caller's transaction; return them."""
	numbers = [o.number for o in outcomes if not o.accepted and o.reason == reasons.UNSUBSCRIBED]
	return [record(number, GATEWAY_REPORT) for number in numbers]
