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

import functools
import inspect

import frappe
import pyotp
from frappe import _, twofactor
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import providers, references, send_permission, sending
from sms_log_app.gateway import GatewayConfig
from sms_log_app.gateway_settings import gateway_config, secrets, site_profile
from sms_log_app.send_input import decode_message, parse_receiver_list
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

APP = "sms_log_app"
OTP_MESSAGE = "Your verification code is "  # the text frappe.twofactor.send_token_via_sms sends
OTP_SENDER = "Two-Factor Authentication"


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
		return original(*args, **frappe.get_newargs(original, kwargs))  # not what only the app takes

	wrapper._sms_log_original = original
	# the arguments Frappe passes a whitelisted call (send_sms's message_class included)
	wrapper.__signature__ = inspect.signature(replacement)
	return wrapper


def is_active() -> bool:
	"""Whether the current site has this app installed."""
	return bool(getattr(frappe.local, "site", None)) and APP in frappe.get_installed_apps()


def send_sms(receiver_list, msg, sender_name="", success_msg=True, message_class=None, send_after=None):
	"""Replaces `sms_settings.send_sms`: the same arguments, but every call is logged and no gateway
	failure reaches the caller. `message_class` (Transactional or Promotional, as a Desk dialog
	passes it) classes the send; else the `references.message_class` block's class. `send_after` (a
	datetime or its text, site time) holds it until then; else the `references.send_after` block's."""
	numbers = sms_settings.validate_receiver_nos(
		parse_receiver_list(receiver_list, get_settings().max_recipients)
	)
	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		frappe.msgprint(_("Please Update SMS Settings"))
		return
	with (
		references.chosen_class(message_class),
		references.send_after(send_after or references.requested_send_time()),
	):
		sending.send_and_log(
			numbers,
			decode_message(msg),
			sender_name=send_permission.sender_name_for(sender_name),
			success_msg=success_msg,
		)


def send_via_gateway(arg):
	"""Replaces `sms_settings.send_via_gateway`, reached through the original `send_sms`."""
	sending.send_and_log(
		arg["receiver_list"], frappe.safe_decode(arg["message"]), success_msg=arg.get("success_msg")
	)


def send_token_via_sms(otpsecret, token=None, phone_no=None):
	"""Replaces `twofactor.send_token_via_sms`: sends the OTP at once and logs it with the code masked.

	Stock Frappe enqueues `send_request` with the message as a job argument, and the worker writes
	each job's arguments to its log, code included. One SMS with the gateway timeout is quick enough
	to send inside the login request. Returns whether the gateway accepted it.
	"""
	config = gateway_config(get_settings().gateway_timeout)
	if not phone_no or not config.url or not send_permission.take_otp(otp_user(), phone_no):
		return False
	send = sending.checked([phone_no], otp_message(pyotp.HOTP(otpsecret).at(int(token))), OTP_SENDER)
	log_fields = {**references.current(), "message_class": references.OTP}
	_, (outcome,) = sending.send_logged(config, send, log_fields=log_fields, mask=True, first=True)
	return outcome.accepted


def otp_user() -> str:
	"""The user a one-time code is for. Frappe sends it inside the login, once the password is checked
	but before the session (or `frappe.local.login_manager`) is the user's: then it is the user the
	login names, by name, mobile number or username as Frappe's login accepts them."""
	user, login = frappe.session.user, frappe.form_dict.get("usr")  # no session yet: no user
	if user not in (None, "Guest") or not login:
		return user or "Guest"
	or_filters = {"name": login, "mobile_no": login, "username": login}
	return next(iter(frappe.get_all("User", or_filters=or_filters, pluck="name", limit=1)), login)


def otp_message(code: str) -> str:
	"""The text of a one-time code: System Settings' *OTP SMS Template* where this Frappe has one."""
	if render := getattr(twofactor, "get_rendered_otp_message", None):
		return render(code)
	return OTP_MESSAGE + code


def send_enqueued_otp(gateway_url, params, headers=None, use_post=False, use_json=False):
	"""`send_request` for the code that Frappe's own `send_token_via_sms` enqueues (see
	overrides/sms_settings.py): capped like any other, then sent at once."""
	number = str(params.get(frappe.db.get_single_value("SMS Settings", "receiver_parameter"), ""))
	if not send_permission.take_otp(otp_user(), number):
		return None
	return send_request(gateway_url, params, headers, use_post, use_json, otp=True)


def send_request(gateway_url, params, headers=None, use_post=False, use_json=False, otp=False):
	"""Replaces `sms_settings.send_request` for callers that bypass `send_sms`.

	Logs the send with every code masked (such callers send OTPs) and returns the HTTP status
	(0 when there was no answer) instead of raising, so that no traceback carries a code into the
	Error Log.
	"""
	settings = frappe.get_doc("SMS Settings")
	params = dict(params)
	number = str(params.pop(settings.receiver_parameter, ""))
	message = str(params.pop(settings.message_parameter, ""))
	profile = site_profile(providers.CUSTOM)  # the caller built the parameters: Custom's way
	config = GatewayConfig(
		url=gateway_url,
		message_parameter=settings.message_parameter,
		receiver_parameter=settings.receiver_parameter,
		static_parameters=params,
		headers=headers or sms_settings.get_headers(settings),
		use_post=bool(use_post),
		use_json=bool(use_json),
		timeout=get_settings().gateway_timeout,
		secrets=secrets(profile, [*params.items(), *(headers or {}).items()]),
		profile=profile,
	)
	otp = otp or message.startswith(OTP_MESSAGE)
	send = sending.checked([number], message, OTP_SENDER if otp else None)
	log_fields = references.current() | ({"message_class": references.OTP} if otp else {})
	_, (outcome,) = sending.send_logged(config, send, log_fields=log_fields, mask=True, first=otp)
	return outcome.http_status or 0
