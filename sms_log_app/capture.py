"""Route Frappe v15's SMS send path through sms_log_app, so that every SMS leaves an SMS Log.

Frappe v15.55.1 has no hook for sending SMS, so `install` wraps these functions, once per process:

- `sms_settings.send_sms`, the whitelisted entry point, for callers that look it up at call time
  (REST, Desk);
- `sms_settings.send_via_gateway`, which the original `send_sms` looks up at call time: it catches
  callers that imported `send_sms` by name before the wrapping (Notification, other apps);
- `twofactor.send_token_via_sms`, which bypasses `send_sms` for OTPs;
- `sms_settings.send_request`, for any other caller that bypasses `send_sms`.

A bench serves many sites from the same processes, so each wrapper checks on every call that the
current site has this app installed, and calls the original function everywhere else.
"""

import dataclasses
import functools
import json
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote, urlparse

import frappe
import pyotp
from frappe import _, twofactor
from frappe.core.doctype.sms_settings import sms_settings
from frappe.query_builder.functions import Lower, Replace
from frappe.utils import now_datetime

from sms_log_app import bulk_send, log_writer, send_permission
from sms_log_app.delivery import extract_message_id
from sms_log_app.gateway import GatewayConfig, Outcome, deliver
from sms_log_app.masking import mask_codes
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

APP = "sms_log_app"
OTP_MESSAGE = "Your verification code is "  # the text frappe.twofactor.send_token_via_sms sends
OTP_SENDER = "Two-Factor Authentication"
SCHEDULED_JOB = "frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job"

_reference: ContextVar[dict | None] = ContextVar("sms_log_reference", default=None)


class InvalidReceiverList(frappe.ValidationError):
	pass


class InvalidMessage(frappe.ValidationError):
	pass


class TooManyRecipients(frappe.ValidationError):
	pass


def install():
	"""Wrap Frappe's SMS send functions. Calling it again changes nothing.

	Where Frappe already hands sending over to the `send_sms` and `send_token_via_sms` hooks
	(frappe/frappe#33444, after v15.55.1), hooks.py registers this module's functions there instead.
	"""
	sms_hook = framework_calls_hook(sms_settings.send_sms, "send_sms")
	otp_hook = framework_calls_hook(twofactor.send_token_via_sms, "send_token_via_sms")
	for module, name, replacement, whitelisted, hooked in (
		(sms_settings, "send_sms", send_sms, True, sms_hook),
		(sms_settings, "send_via_gateway", send_via_gateway, False, sms_hook),
		(sms_settings, "send_request", send_request, False, False),
		(twofactor, "send_token_via_sms", send_token_via_sms, False, otp_hook),
	):
		original = getattr(module, name)
		if hooked or getattr(original, "_sms_log_original", None):
			continue
		wrapper = _wrap(original, replacement)
		# POST only: a GET needs no CSRF token, so a link a logged-in user follows could send SMS
		setattr(module, name, frappe.whitelist(methods=["POST"])(wrapper) if whitelisted else wrapper)


def framework_calls_hook(function, hook: str) -> bool:
	"""Whether Frappe's `function` looks up the hook named `hook` (the feature, not a version)."""
	code = getattr(function, "_sms_log_original", function).__code__
	return "get_hooks" in code.co_names and hook in code.co_consts


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


def send_sms(receiver_list, msg, sender_name="", success_msg=True):
	"""Replaces `sms_settings.send_sms`: the same arguments, but every call is logged and no gateway
	failure reaches the caller."""
	numbers = sms_settings.validate_receiver_nos(parse_receiver_list(receiver_list))
	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		frappe.msgprint(_("Please Update SMS Settings"))
		return
	send_and_log(
		numbers,
		decode_message(msg),
		sender_name=send_permission.sender_name_for(sender_name),
		success_msg=success_msg,
	)


def send_via_gateway(arg):
	"""Replaces `sms_settings.send_via_gateway`, reached through the original `send_sms`."""
	send_and_log(arg["receiver_list"], frappe.safe_decode(arg["message"]), success_msg=arg.get("success_msg"))


def send_token_via_sms(otpsecret, token=None, phone_no=None):
	"""Replaces `twofactor.send_token_via_sms`: sends the OTP at once and logs it with the code masked.

	Stock Frappe enqueues `send_request` with the message as a job argument, and the worker writes
	each job's arguments to its log, code included. One SMS with the gateway timeout is quick enough
	to send inside the login request. Returns whether the gateway accepted it.
	"""
	config = gateway_config(get_settings().gateway_timeout)
	if not phone_no or not config.url:
		return False
	message = OTP_MESSAGE + pyotp.HOTP(otpsecret).at(int(token))
	(outcome,) = with_message_ids(deliver(config, [phone_no], message))
	_log(mask_codes(message), [_masked(outcome)], sender_name=OTP_SENDER)
	return outcome.accepted


def send_request(gateway_url, params, headers=None, use_post=False, use_json=False):
	"""Replaces `sms_settings.send_request` for callers that bypass `send_sms`.

	Logs the send with every code masked (such callers send OTPs) and returns the HTTP status
	(0 when there was no answer) instead of raising, so that no traceback carries a code into the
	Error Log.
	"""
	settings = frappe.get_doc("SMS Settings")
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
		timeout=get_settings().gateway_timeout,
	)
	(outcome,) = with_message_ids(deliver(config, [number], message))
	sender = OTP_SENDER if message.startswith(OTP_MESSAGE) else None
	_log(mask_codes(message), [_masked(outcome)], sender_name=sender)
	return outcome.http_status or 0


def _masked(outcome: Outcome) -> Outcome:
	"""The outcome with codes masked in what the gateway answered (some gateways echo the text)."""
	return dataclasses.replace(
		outcome,
		error=mask_codes(outcome.error) if outcome.error else None,
		response=mask_codes(outcome.response) if outcome.response else None,
	)


def with_message_ids(outcomes: list[Outcome]) -> list[Outcome]:
	"""Read the gateway's id of each accepted SMS from its answer, as SMS Log Settings say."""
	settings = get_settings()
	for outcome in outcomes:
		if outcome.accepted:
			outcome.message_id = extract_message_id(
				outcome.response, settings.message_id_source, settings.message_id_pattern
			)
	return outcomes


def send_and_log(
	numbers: list[str],
	message: str,
	sender_name: str | None = None,
	success_msg=False,
	log_fields: dict | None = None,
):
	"""Send `message` to each number through the gateway in SMS Settings and record one SMS Log,
	with `log_fields` (such as resent_from) set on it.

	Every send but OTPs comes through here, so this is where a send that a user starts over HTTP is
	refused when the user may not make it (`send_permission`), before anything is sent.
	"""
	settings = get_settings()
	user_send = send_permission.is_http_send(notification=(_reference.get() or {}).get("notification"))
	if user_send:
		send_permission.check_sender(len(numbers))
	if len(numbers) > settings.max_recipients:
		frappe.throw(
			_("A send can queue at most {0} recipients; this one has {1}. Split the list.").format(
				settings.max_recipients, len(numbers)
			),
			TooManyRecipients,
		)
	if user_send:
		send_permission.take_parts(len(numbers), message)
	elif (_reference.get() or {}).get("notification"):
		if not send_permission.take_notification_parts(len(numbers), message):
			return None  # refused and recorded; the document that fired it is saved all the same
	if len(numbers) > settings.queue_threshold:
		log_name = bulk_send.queue_send(
			numbers, message, sender_name or default_sender_name(), _with_reference(log_fields)
		)
		if success_msg:
			_show_queued(len(numbers), log_name)
		return log_name
	outcomes = with_message_ids(
		deliver(gateway_config(settings.gateway_timeout), numbers, message, deadline=settings.send_deadline)
	)
	log_name = _log(message, outcomes, sender_name=sender_name, log_fields=log_fields)
	if success_msg:
		_show_summary(outcomes, log_name)
	return log_name


def _log(
	message: str, outcomes: list[Outcome], sender_name: str | None, log_fields: dict | None = None
) -> str | None:
	return log_writer.write_log(
		message=message,
		outcomes=outcomes,
		sender_name=sender_name or default_sender_name(),
		sent_at=now_datetime(),
		log_fields=_with_reference(log_fields),
	)


def _with_reference(log_fields: dict | None) -> dict:
	return {**(_reference.get() or form_reference() or {}), **(log_fields or {})}


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


def decode_message(msg) -> str:
	"""The message as text; bytes must be UTF-8, and an empty message is refused."""
	if isinstance(msg, bytes):
		try:
			msg = msg.decode("utf-8")
		except UnicodeDecodeError:
			frappe.throw(_("The message is not valid UTF-8 text."), InvalidMessage)
	if not isinstance(msg, str) or not msg.strip():
		frappe.throw(_("The message is empty."), InvalidMessage)
	return msg


def gateway_config(timeout: float) -> GatewayConfig:
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
		timeout=timeout,
	)


def default_sender_name() -> str:
	"""The session user's full name, or the service that sent the SMS from a background job."""
	user = frappe.session.user
	job = getattr(frappe.local, "job", None)
	if job and user in ("Administrator", "Guest"):
		return "Scheduler" if job.method == SCHEDULED_JOB else "Background Job"
	return frappe.utils.get_fullname(user)


def _log_link(log_name: str | None) -> str:
	# a link only for those who may open it
	readable = log_name and frappe.has_permission("SMS Log", "read")
	return frappe.utils.get_link_to_form("SMS Log", log_name) if readable else ""


def _show_queued(count: int, log_name: str):
	frappe.msgprint(
		_("SMS queued for {0} recipients; they are sent in the background. {1}").format(
			count, _log_link(log_name)
		),
		indicator="blue",
	)


def _show_summary(outcomes: list[Outcome], log_name: str | None):
	sent = sum(o.accepted for o in outcomes)
	failed = len(outcomes) - sent
	link = _log_link(log_name)
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
