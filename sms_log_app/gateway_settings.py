"""The SMS gateway as this site's SMS Settings and SMS Log Settings describe it."""

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app.delivery import extract_message_id
from sms_log_app.gateway import GatewayConfig, Outcome
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

MESSAGE_ID_LENGTH = 140  # the Data column the id is kept in


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


def with_message_ids(outcomes: list[Outcome]) -> list[Outcome]:
	"""Read the gateway's id of each accepted SMS from its answer, as SMS Log Settings say.

	An answer the pattern cannot read costs its id, never the log: the error goes to the app's log file.
	"""
	settings = get_settings()
	for outcome in outcomes:
		if not outcome.accepted:
			continue
		try:
			message_id = extract_message_id(
				outcome.response, settings.message_id_source, settings.message_id_pattern
			)
		except Exception:
			frappe.logger("sms_log_app").exception("Message id not read from %r", outcome.response)
			message_id = None
		outcome.message_id = message_id[:MESSAGE_ID_LENGTH] if message_id else None
	return outcomes
