"""Route Frappe v15's SMS send path through sms_log_app, so that every SMS leaves an SMS Log.

Frappe v15.55.1 has no hook for sending SMS, so `install` wraps three functions of the SMS Settings
module, once per process:

- `send_sms`, the whitelisted entry point, for callers that look it up at call time (REST, Desk);
- `send_via_gateway`, which the original `send_sms` looks up at call time: it catches callers that
  imported `send_sms` by name before the wrapping (Notification, other apps);
- `send_request`, which `frappe.twofactor` enqueues directly for OTP SMS.

A bench serves many sites from the same processes, so each wrapper checks on every call that the
current site has this app installed, and calls the original function everywhere else.
"""

import functools
import json
from contextlib import contextmanager
from contextvars import ContextVar

import frappe
from frappe import _
from frappe.core.doctype.sms_settings import sms_settings
from frappe.utils import now_datetime

from sms_log_app import log_writer
from sms_log_app.gateway import GatewayConfig, Outcome, deliver
from sms_log_app.masking import mask_codes

APP = "sms_log_app"
DEFAULT_TIMEOUT = 10  # seconds, when SMS Log Settings have none
OTP_MESSAGE = "Your verification code is "  # the text frappe.twofactor.send_token_via_sms sends
SCHEDULED_JOB = "frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job"

_reference: ContextVar[dict | None] = ContextVar("sms_log_reference", default=None)


class InvalidReceiverList(frappe.ValidationError):
	pass


def install():
	"""Wrap the SMS Settings send functions. Calling it again changes nothing."""
	for name, replacement, whitelisted in (
		("send_sms", send_sms, True),
		("send_via_gateway", send_via_gateway, False),
		("send_request", send_request, False),
	):
		original = getattr(sms_settings, name)
		if getattr(original, "_sms_log_original", None):
			continue
		wrapper = _wrap(original, replacement)
		setattr(sms_settings, name, frappe.whitelist()(wrapper) if whitelisted else wrapper)


def _wrap(original, replacement):
	@functools.wraps(original)
	def wrapper(*args, **kwargs):
		if is_active():
			return replacement(*args, **kwargs)
		return original(*args, **kwargs)

	wrapper._sms_log_original = original
	return wrapper


def is_active() -> bool:
	"""Whether the current site has this app installed."""
	return bool(getattr(frappe.local, "site", None)) and APP in frappe.get_installed_apps()


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


def send_sms(receiver_list, msg, sender_name="", success_msg=True):
	"""Replaces `sms_settings.send_sms`: the same arguments, but every call is logged and no gateway
	failure reaches the caller."""
	numbers = sms_settings.validate_receiver_nos(parse_receiver_list(receiver_list))
	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		frappe.msgprint(_("Please Update SMS Settings"))
		return
	send_and_log(numbers, frappe.safe_decode(msg), sender_name=sender_name, success_msg=success_msg)


def send_via_gateway(arg):
	"""Replaces `sms_settings.send_via_gateway`, reached through the original `send_sms`."""
	send_and_log(arg["receiver_list"], frappe.safe_decode(arg["message"]), success_msg=arg.get("success_msg"))


def send_request(gateway_url, params, headers=None, use_post=False, use_json=False):
	"""Replaces `sms_settings.send_request` for callers that bypass `send_sms` (two-factor OTPs).

	Logs the send with every code masked and returns the HTTP status (0 when there was no answer)
	instead of raising, so that no traceback carries the code into the Error Log.
	"""
	settings = frappe.get_cached_doc("SMS Settings")
	params = dict(params)
	number = str(params.pop(settings.receiver_parameter, ""))
	message = str(params.pop(settings.message_parameter, ""))
	config = GatewayConfig(
		url=gateway_url,
		message_parameter=settings.message_parameter,
		receiver_parameter=settings.receiver_parameter,
		static_parameters=params,
		headers=headers or sms_settings.get_headers(settings),
		use_post=bool(use_post),
		use_json=bool(use_json),
		timeout=gateway_timeout(),
	)
	(outcome,) = deliver(config, [number], message)
	masked = Outcome(
		outcome.number,
		outcome.accepted,
		outcome.http_status,
		mask_codes(outcome.error) if outcome.error else None,
		mask_codes(outcome.response) if outcome.response else None,
	)
	sender = "Two-Factor Authentication" if message.startswith(OTP_MESSAGE) else None
	_log(mask_codes(message), [masked], sender_name=sender)
	return outcome.http_status or 0


def send_and_log(numbers: list[str], message: str, sender_name: str | None = None, success_msg=False):
	"""Send `message` to each number through the gateway in SMS Settings and record one SMS Log."""
	outcomes = deliver(gateway_config(), numbers, message)
	log_name = _log(message, outcomes, sender_name=sender_name)
	if success_msg:
		_show_summary(outcomes, log_name)
	return log_name


def _log(message: str, outcomes: list[Outcome], sender_name: str | None) -> str | None:
	return log_writer.write_log(
		message=message,
		outcomes=outcomes,
		sender_name=sender_name or default_sender_name(),
		sent_at=now_datetime(),
		reference=_reference.get(),
	)


def parse_receiver_list(receiver_list) -> list[str]:
	"""Accept what `send_sms` accepts (a list, or JSON of a list or of one number) and refuse the rest
	with a clear message instead of a traceback."""
	if isinstance(receiver_list, str):
		try:
			receiver_list = json.loads(receiver_list)
		except ValueError:
			frappe.throw(_("The receiver list must be a JSON list of mobile numbers."), InvalidReceiverList)
	if isinstance(receiver_list, str | int):
		receiver_list = [receiver_list]
	if not isinstance(receiver_list, list | tuple) or not all(map(_is_number_or_blank, receiver_list)):
		frappe.throw(_("The receiver list must be a list of mobile numbers."), InvalidReceiverList)
	return [str(number).strip() for number in receiver_list if number is not None]


def _is_number_or_blank(value) -> bool:
	return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


def gateway_config() -> GatewayConfig:
	settings = frappe.get_doc("SMS Settings")
	headers = sms_settings.get_headers(settings)
	return GatewayConfig(
		url=settings.sms_gateway_url,
		message_parameter=settings.message_parameter,
		receiver_parameter=settings.receiver_parameter,
		static_parameters={d.parameter: d.value for d in settings.parameters if not d.header},
		headers=headers,
		use_post=bool(settings.use_post),
		use_json=headers.get("Content-Type") == "application/json",
		timeout=gateway_timeout(),
	)


def gateway_timeout() -> float:
	return frappe.db.get_single_value("SMS Log Settings", "gateway_timeout") or DEFAULT_TIMEOUT


def default_sender_name() -> str:
	"""The session user's full name, or the service that sent the SMS from a background job."""
	user = frappe.session.user
	job = getattr(frappe.local, "job", None)
	if job and user in ("Administrator", "Guest"):
		return "Scheduler" if job.method == SCHEDULED_JOB else "Background Job"
	return frappe.utils.get_fullname(user)


def _show_summary(outcomes: list[Outcome], log_name: str | None):
	sent = sum(o.accepted for o in outcomes)
	failed = len(outcomes) - sent
	link = frappe.utils.get_link_to_form("SMS Log", log_name) if log_name else ""
	if not failed:
		frappe.msgprint(_("SMS sent to {0} recipients. {1}").format(sent, link), indicator="green")
		return
	reasons = "".join(
		f"<li>{frappe.bold(frappe.utils.escape_html(o.number))}: {frappe.utils.escape_html(o.error)}</li>"
		for o in outcomes[:20]
		if not o.accepted
	)
	frappe.msgprint(
		_("{0} SMS sent, {1} failed. {2}").format(sent, failed, link) + f"<ul>{reasons}</ul>",
		title=_("Some SMS were not sent") if sent else _("SMS not sent"),
		indicator="orange" if sent else "red",
	)
