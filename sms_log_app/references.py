"""What an SMS was sent for: the document (and Notification) recorded on its log."""

from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote, urlparse

import frappe
from frappe.query_builder.functions import Lower, Replace

_reference: ContextVar[dict | None] = ContextVar("sms_log_reference", default=None)


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


def notification() -> str | None:
	"""The Notification sending inside the current `reference` block, if any."""
	return (_reference.get() or {}).get("notification")


def current() -> dict:
	"""The reference fields for a log written now: the `reference` block's, else the sending form's."""
	return _reference.get() or form_reference() or {}


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
