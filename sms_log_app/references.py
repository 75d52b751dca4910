"""What an SMS was sent for: the document (and Notification) recorded on its log, and its class."""

from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote, urlparse

import frappe
from frappe import _
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields
from frappe.query_builder.functions import Lower, Replace

OTP, TRANSACTIONAL, PROMOTIONAL = "OTP", "Transactional", "Promotional"
MESSAGE_CLASSES = (OTP, TRANSACTIONAL, PROMOTIONAL)
NOTIFICATION_CLASS_FIELD = "sms_message_class"  # a Custom Field of Notification: the class of its SMS

_reference: ContextVar[dict | None] = ContextVar("sms_log_reference", default=None)
_message_class: ContextVar[str] = ContextVar("sms_log_message_class", default=TRANSACTIONAL)


class InvalidMessageClass(frappe.ValidationError):
	pass


@contextmanager
def reference(doctype: str, name: str, notification: str | None = None):
	"""Record the SMS sent inside this block as sent for document `doctype` `name`.

	with reference("Sales Invoice", invoice.name):
	        send_sms(["+966500000001"], "Payment reminder")
	"""
	token = _reference.set(
		{"reference_doctype": doctype, "reference_name": name, "notification": notification}
	)
	try:
		yield
	finally:
		_reference.reset(token)


@contextmanager
def message_class(name: str):
	"""Class the SMS sent inside this block: "Transactional" (the default), "Promotional" or "OTP".

	with message_class("Promotional"):
	        send_sms(["+966500000001"], "20% off this week")
	"""
	if name not in MESSAGE_CLASSES:
		frappe.throw(
			_("Unknown message class {0}: use one of {1}").format(repr(name), ", ".join(MESSAGE_CLASSES)),
			InvalidMessageClass,
		)
	token = _message_class.set(name)
	try:
		yield
	finally:
		_message_class.reset(token)


def notification() -> str | None:
	"""The Notification sending inside the current `reference` block, if any."""
	return (_reference.get() or {}).get("notification")


def current() -> dict:
	"""The reference fields for a log written now (the `reference` block's, else the sending form's)
	and its class."""
	return {**(_reference.get() or form_reference() or {}), "message_class": _message_class.get()}


def add_notification_class_field():
	"""A Notification's SMS are Transactional unless it says Promotional (on install and migrate)."""
	create_custom_fields(
		{
			"Notification": [
				{
					"fieldname": NOTIFICATION_CLASS_FIELD,
					"label": "SMS Message Class",
					"fieldtype": "Select",
					"options": f"{TRANSACTIONAL}\n{PROMOTIONAL}",
					"default": TRANSACTIONAL,
					"insert_after": "channel",
					"depends_on": "eval:doc.channel=='SMS'",
					"module": "SMS Log App",
					"description": "Promotional for marketing; the class is recorded on each SMS Log",
				}
			]
		},
		update=True,
	)


def remove_notification_class_field():
	frappe.delete_doc(
		"Custom Field", f"Notification-{NOTIFICATION_CLASS_FIELD}", ignore_missing=True, force=True
	)


def form_reference() -> dict | None:
	"""The document whose Desk form sent the current request, when the user may read it.

	A transaction's "Send SMS" in ERPNext (`sms_manager.js`) passes only the numbers and the text, but
	the request comes from the form, `/app/<doctype route>/<name>`, and says so in its Referer.
	"""
	referer = getattr(frappe.local, "request", None) and frappe.get_request_header("Referer")
	parts = [unquote(part) for part in urlparse(referer or "").path.split("/")]
	if len(parts) < 4 or parts[1] != "app" or not parts[3]:
		return None
	doctype = frappe.qb.DocType("DocType")
	doctype_name = (
		frappe.qb.from_(doctype)
		.select(doctype.name)
		.where((Lower(Replace(doctype.name, " ", "-")) == parts[2].lower()) & (doctype.istable == 0))
		.run(pluck=True)
	)
	if not doctype_name or not frappe.db.exists(doctype_name[0], parts[3]):
		return None
	if not frappe.has_permission(doctype_name[0], "read", parts[3]):
		return None
	return {"reference_doctype": doctype_name[0], "reference_name": parts[3]}
