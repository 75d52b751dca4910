"""The SMS gateway as this site's SMS Settings and SMS Log Settings describe it."""

import frappe
from frappe import _
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import promotional_rules, providers
from sms_log_app.delivery import extract_message_id
from sms_log_app.gateway import GatewayConfig, Outcome, masked
from sms_log_app.providers.base import Verdict, refusal
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

MESSAGE_ID_LENGTH = 140  # the Data column the id is kept in


def gateway_config(timeout: float, message_class: str | None = None) -> GatewayConfig:
	"""The gateway for a send of `message_class` (its promotional sender ID, `promotional_rules`)."""
	settings = frappe.get_doc("SMS Settings")
	headers = sms_settings.get_headers(settings)
	profile = site_profile(settings.get("sms_provider"))
	config = GatewayConfig(
		url=settings.sms_gateway_url,
		message_parameter=settings.message_parameter,
		receiver_parameter=settings.receiver_parameter,
		static_parameters={d.parameter: d.value for d in settings.parameters if not d.header},
		headers=headers,
		use_post=bool(settings.use_post),
		use_json=headers.get("Content-Type") == "application/json",
		timeout=timeout,
		secrets=secrets(profile, [(d.parameter, d.value) for d in settings.parameters]),
		numbers_per_request=numbers_per_request(profile),
		profile=profile,
	)
	return promotional_rules.for_class(config, message_class)


def numbers_per_request(profile: providers.Provider) -> int:
	"""SMS Log Settings' *Numbers per Request* (0: the profile's default), within the profile's cap."""
	wanted = get_settings().numbers_per_request or profile.numbers_per_request
	return max(1, min(wanted, profile.max_numbers_per_request))


def site_profile(provider: str | None) -> providers.Provider:
	"""The provider's profile, with the acceptance rule of SMS Log Settings (Custom's)."""
	return providers.profile(provider, get_settings().acceptance_rule_of_answers())


def secrets(profile: providers.Provider, parameters: list[tuple[str, str]]) -> tuple[str, ...]:
	"""The credentials among the (name, value) parameters, whole and, for `Bearer <token>`-style
	headers, the token alone."""
	values = set()
	for name, value in parameters:
		value = str(value or "")
		if value and profile.is_secret(name):
			values.update({value, *(part for part in value.split() if len(part) >= 6)})
	return tuple(sorted(values, key=len, reverse=True))


def _attempts_told(outcome: Outcome) -> str:
	"""The row's error with the tries that came before (send_batch)."""
	before = "; ".join(dict.fromkeys(outcome.earlier))
	if set(outcome.earlier) == {outcome.error}:
		return _("{0} ({1} attempts)").format(outcome.error, outcome.attempts)
	if outcome.accepted:
		return _("Accepted after {0} attempts; before: {1}").format(outcome.attempts, before)
	return _("{0} (after {1} attempts; before: {2})").format(outcome.error, outcome.attempts, before)


def read_outcomes(outcomes: list[Outcome], config: GatewayConfig) -> list[Outcome]:
	"""Name each refusal's reason in the language of the send (a number left untried after the
	provider refused the account says so), tell the tries a request took, and read the gateway's id
	of each accepted SMS whose profile did not read one from its answer, as SMS Log Settings say.

	An answer the pattern cannot read costs its id, never the log: the error goes to the app's log file.
	"""
	settings = get_settings()
	for outcome in outcomes:
		if outcome.reason:
			verdict = Verdict(False, outcome.code, outcome.said, outcome.reason)
			error = refusal(verdict, config.profile.name, _(outcome.reason))
			outcome.error = masked(
				_("Not sent: {0}").format(error) if outcome.stopped else error, config.secrets
			)
		if outcome.earlier:
			outcome.error = _attempts_told(outcome)
		if not outcome.accepted or outcome.message_id:
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
