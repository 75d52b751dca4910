"""Saudi Arabia's rules for promotional SMS, where SMS Log Settings apply them (on by default for Saudi
sites): a sender ID registered for promotional SMS, ending in -AD, and the daily sending hours.

The sender ID that counts is the one the provider checks, a parameter of the gateway request (Msegat's
`userSender`, Unifonic's `SenderID`, …: `Provider.sender_parameter`, or SMS Log Settings' *Sender
Parameter* for Custom), not the SMS Log's sender name. *Promotional Sender ID* replaces SMS Settings'
value for promotional sends, so that one site sends its transactional SMS as "Name" and its
promotional ones as "Name-AD".
"""

import dataclasses
from datetime import datetime, time

import frappe
from frappe import _
from frappe.utils import escape_html, get_time

from sms_log_app import send_permission
from sms_log_app.gateway import GatewayConfig
from sms_log_app.references import PROMOTIONAL
from sms_log_app.send_times import AD_SUFFIX, is_promotional_sender_id, next_opening
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

SAUDI_ARABIA = "Saudi Arabia"
SENDER_ID_REFUSAL = "Promotional Sender ID"  # the SMS Send Refusal's reason
# what SMS Log Settings' promotional and validity fields hold until an administrator changes them
DEFAULTS = {
	"promotional_hours_start": "07:00",
	"promotional_hours_end": "22:00",
	"promotional_validity": 1440,
	"otp_validity": 10,
	"transactional_validity": 0,
}


class PromotionalSenderRefused(frappe.ValidationError):
	"""A promotional send whose sender ID does not end in -AD."""


def apply_to(message_class: str | None) -> bool:
	"""Whether the promotional rules hold for a send of `message_class`."""
	return message_class == PROMOTIONAL and bool(get_settings().promotional_rules)


def sender_parameter(profile) -> str | None:
	"""The gateway parameter that carries the sender ID, for the provider's `profile`."""
	return profile.sender_parameter or (get_settings().sender_parameter or "").strip() or None


def for_class(config: GatewayConfig, message_class: str | None) -> GatewayConfig:
	"""`config` for a send of `message_class`: with the Promotional Sender ID as its sender where the
	rules apply and one is set."""
	sender_id = (get_settings().promotional_sender_id or "").strip()
	parameter = sender_parameter(config.profile)
	if not (apply_to(message_class) and sender_id and parameter):
		return config
	return dataclasses.replace(config, static_parameters={**config.static_parameters, parameter: sender_id})


def check_sender_id(config: GatewayConfig, recipients: int):
	"""Refuse a promotional send (recorded as an SMS Send Refusal) whose sender ID, as `config` sends
	it, would not end in -AD: the provider would refuse it too (Msegat's M0030), or worse, send it."""
	parameter = sender_parameter(config.profile)
	sender_id = str(config.static_parameters.get(parameter) or "") if parameter else ""
	if is_promotional_sender_id(sender_id):
		return
	if not parameter:
		message = _(
			"Promotional SMS need a sender ID ending in {0}, and the app cannot tell this gateway's sender ID: name the SMS Settings parameter that carries it in SMS Log Settings > Sender Parameter."
		).format(AD_SUFFIX)
	else:
		message = _(
			"Promotional SMS need a sender ID ending in {0}; this send's would be {1}. Set your registered promotional sender ID in SMS Log Settings > Promotional Sender ID."
		).format(AD_SUFFIX, frappe.bold(escape_html(sender_id) or _("empty")))
	send_permission.refuse(
		frappe.session.user, SENDER_ID_REFUSAL, recipients, message, PromotionalSenderRefused
	)


def sending_hours(message_class: str | None) -> tuple[time, time] | None:
	"""The daily hours a send of `message_class` may go out in (site time), or None: any time."""
	if not apply_to(message_class):
		return None
	settings = get_settings()
	return (
		get_time(settings.promotional_hours_start or DEFAULTS["promotional_hours_start"]),
		get_time(settings.promotional_hours_end or DEFAULTS["promotional_hours_end"]),
	)


def closed_until(message_class: str | None, now) -> datetime | None:
	"""When the sending hours next open, where a send of `message_class` may not go out at `now`."""
	hours = sending_hours(message_class)
	opening = next_opening(now, *hours) if hours else now
	return opening if opening > now else None


def store_defaults():
	"""Store the defaults of the promotional and validity settings that were never saved (migrate adds
	a Single's new fields without them), and apply the rules where the site is in Saudi Arabia. On
	install, once on sites installed before the rules, and when the setup wizard sets the country."""
	stored = set(
		frappe.db.sql_list(
			"select field from `tabSingles` where doctype = 'SMS Log Settings' and field in %(fields)s",
			{"fields": list(DEFAULTS)},
		)
	)
	for fieldname, value in DEFAULTS.items():
		if fieldname not in stored:
			frappe.db.set_single_value("SMS Log Settings", fieldname, value)
	if frappe.get_system_settings("country") == SAUDI_ARABIA:
		frappe.db.set_single_value("SMS Log Settings", "promotional_rules", 1)
	frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")


def after_setup_wizard(args=None):
	"""The setup wizard has set the site's country."""
	store_defaults()
