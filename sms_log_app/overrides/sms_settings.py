"""The OTP of a fresh web worker's first request, sent through the app.

Frappe v15 logs a user in inside `HTTPRequest()`, before the `before_request` hooks, where
`capture.install` wraps the send path. So when the first request a web worker serves is a login
with two-factor SMS, Frappe's own `twofactor.send_token_via_sms` runs: it enqueues `send_request`
with the code in its arguments, and the job worker writes those arguments to its log. It loads SMS
Settings before it enqueues, and loading them imports this module (the `override_doctype_class`
hook) in a process that has not imported it yet. So this module wraps the send path there and then,
and turns that enqueue of `send_request` into the app's `send_request`, which sends at once and logs
the code masked, within the caps on one-time codes.
"""

import functools

from frappe import twofactor
from frappe.core.doctype.sms_settings import sms_settings
from frappe.core.doctype.sms_settings.sms_settings import SMSSettings

from sms_log_app import capture, provider_settings


class LoggedSMSSettings(SMSSettings):
	"""SMS Settings as Frappe has them, and the provider's own fields filled when one is chosen. The
	class is here also so that loading them imports this module."""

	def validate(self):
		provider_settings.fill_from_provider(self)


def _send_otp_jobs_at_once(enqueue):
	@functools.wraps(enqueue)
	def wrapper(method, *args, **kwargs):
		if capture.is_active() and _is_send_request(method):
			return capture.send_enqueued_otp(
				kwargs["gateway_url"],
				kwargs["params"],
				headers=kwargs.get("headers"),
				use_post=kwargs.get("use_post", False),
				use_json=kwargs.get("use_json", False),
			)
		return enqueue(method, *args, **kwargs)

	wrapper._sms_log_original = enqueue
	return wrapper


def _is_send_request(method) -> bool:
	return (
		getattr(method, "__module__", None) == sms_settings.__name__
		and getattr(method, "__name__", None) == "send_request"
	)


def install():
	"""Wrap the send path, and `twofactor`'s enqueue of OTP jobs. Calling it again changes nothing."""
	capture.install()
	if not getattr(twofactor.enqueue, "_sms_log_original", None):
		twofactor.enqueue = _send_otp_jobs_at_once(twofactor.enqueue)


install()
