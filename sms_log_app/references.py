"""What an SMS was sent for: the document (and Notification) recorded on its log, and its class."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from urllib.parse import unquote, urlparse

import frappe
from frappe import _
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields
from frappe.query_builder.functions import Lower, Replace
from frappe.utils import get_datetime

OTP, TRANSACTIONAL, PROMOTIONAL = "OTP", "Transactional", "Promotional"
MESSAGE_CLASSES = (OTP, TRANSACTIONAL, PROMOTIONAL)
CLASS_FIELD = "sms_message_class"  # a Custom Field of Notification and SMS Center: the class of their SMS
SEND_AFTER_FIELD = "sms_send_after"  # a Custom Field of SMS Center: when its SMS go out

_reference: ContextVar[dict | None] = ContextVar("sms_log_reference", default=None)
_message_class: ContextVar[str] = ContextVar("sms_log_message_class", default=TRANSACTIONAL)
_send_after: ContextVar[datetime | None] = ContextVar("sms_log_send_after", default=None)


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


@contextmanager
def chosen_class(name: str | None):
	"""The class a sender chose for a send (Transactional or Promotional; OTPs are the capture's to
	class), or, without one, whatever class is current."""
	if not name:
		yield
		return
	if name not in (TRANSACTIONAL, PROMOTIONAL):
		frappe.throw(
			_("Unknown message class {0}: use one of {1}").format(
				repr(name), ", ".join((TRANSACTIONAL, PROMOTIONAL))
			),
			InvalidMessageClass,
		)
	with message_class(name):
		yield


@contextmanager
def send_after(when: datetime | str | None):
	"""Send the SMS of this block at `when` (the site's time zone) instead of now: their log is
	Scheduled until the scheduler sends it then. A time in the past, or None, sends now.

	with send_after("2026-12-24 09:00"):
	        send_sms(["+966500000001"], "Your appointment is tomorrow")
	"""
	token = _send_after.set(get_datetime(when) if when else None)
	try:
		yield
	finally:
		_send_after.reset(token)


def requested_send_time() -> datetime | None:
	"""The time the current `send_after` block asks for, if any."""
	return _send_after.get()


def notification() -> str | None:
	"""The Notification sending inside the current `reference` block, if any."""
	return (_reference.get() or {}).get("notification")


def current() -> dict:
	"""The reference fields for a log written now (the `reference` block's, else the sending form's)
	and its class."""
	return {**(_reference.get() or form_reference() or {}), "message_class": _message_class.get()}


def add_class_fields():
	"""The class a Notification's SMS have (Transactional unless it says Promotional) and, where
	ERPNext's SMS Center exists, the class of its sends (Promotional unless it says Transactional) and
	when they go out. On install, migrate and when ERPNext comes."""
	fields = {"Notification": [class_field(TRANSACTIONAL, "channel", "eval:doc.channel=='SMS'")]}
	if frappe.db.exists("DocType", "SMS Center"):
		fields["SMS Center"] = [class_field(PROMOTIONAL, "message"), send_after_field(CLASS_FIELD)]
	create_custom_fields(fields, update=True)
	if "SMS Center" in fields and not frappe.db.get_single_value("SMS Center", CLASS_FIELD):
		# a Single shows what it stores, not its fields' defaults: the form opens on Promotional
		frappe.db.set_single_value("SMS Center", CLASS_FIELD, PROMOTIONAL)


def class_field(default: str, insert_after: str, depends_on: str | None = None) -> dict:
	return {
		"fieldname": CLASS_FIELD,
		"label": "SMS Message Class",
		"fieldtype": "Select",
		"options": f"{TRANSACTIONAL}\n{PROMOTIONAL}",
		"default": default,
		"insert_after": insert_after,
		"depends_on": depends_on,
		"module": "SMS Log App",
		"description": "Promotional for marketing; the class is recorded on each SMS Log",
	}


def send_after_field(insert_after: str) -> dict:
	return {
		"fieldname": SEND_AFTER_FIELD,
		"label": "Send At",
		"fieldtype": "Datetime",
		"insert_after": insert_after,
		"module": "SMS Log App",
		"description": "Empty: now. Later: the SMS Log is Scheduled until then, and can be cancelled",
	}


def remove_class_fields():
	for name in (
		"Notification-" + CLASS_FIELD,
		"SMS Center-" + CLASS_FIELD,
		"SMS Center-" + SEND_AFTER_FIELD,
	):
		frappe.delete_doc("Custom Field", name, ignore_missing=True, force=True)


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
