# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import ipaddress
import re

import frappe
from frappe import _
from frappe.model.document import Document

from sms_log_app.delivery import JSON_PATH, PRESETS, REGULAR_EXPRESSION, pattern_problem
from sms_log_app.providers.custom import ANY_2XX, AcceptanceRule


class InvalidMessageIdPattern(frappe.ValidationError):
	pass


HOUR_FORMAT = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")  # HH:MM, 24-hour


# Used where the settings were never saved; the same as the DocType's defaults.
LIMITS = {
	"gateway_timeout": 10,
	"send_deadline": 60,
	"max_recipients": 100_000,
	"max_parts_per_message": 10,
	"parallel_requests": 20,
	"recipients_per_job": 1000,
	"queue_threshold": 50,
	"delivery_reports_per_minute": 600,
	"hourly_recipients_per_user": 200,
	"hourly_recipients_per_system_manager": 5000,
	"hourly_notification_parts_per_address": 10,
	"hourly_notification_parts_for_site": 200,
	"hourly_otps_per_user": 5,
	"hourly_otps_per_number": 5,
}


class SMSLogSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.core.doctype.has_role.has_role import HasRole
		from frappe.types import DF

		acceptance_path: DF.Data | None
		acceptance_pattern: DF.Data | None
		acceptance_rule: DF.Literal["Any 2xx", "JSON Path", "Regular Expression"]
		accepted_values: DF.SmallText | None
		daily_recipients_for_site: DF.Int
		delivery_report_preset: DF.Literal["Generic", "Twilio", "Custom", "Provider"]
		delivery_report_secret: DF.Password | None
		delivery_reports_per_minute: DF.Int
		duplicate_window: DF.Int
		gateway_timeout: DF.Float
		hourly_notification_parts_for_site: DF.Int
		hourly_notification_parts_per_address: DF.Int
		hourly_otps_per_number: DF.Int
		hourly_otps_per_user: DF.Int
		hourly_recipients_per_system_manager: DF.Int
		hourly_recipients_per_user: DF.Int
		low_balance_threshold: DF.Float
		low_balance_warned_at: DF.Datetime | None
		max_parts_per_message: DF.Int
		max_recipients: DF.Int
		messages_per_second: DF.Float
		message_id_pattern: DF.Data | None
		message_id_source: DF.Literal["None", "JSON Path", "Regular Expression"]
		numbers_per_request: DF.Int
		opt_outs_apply_to_transactional: DF.Check
		otp_validity: DF.Int
		parallel_requests: DF.Int
		promotional_hours_end: DF.Data | None
		promotional_hours_start: DF.Data | None
		promotional_rules: DF.Check
		promotional_sender_id: DF.Data | None
		promotional_validity: DF.Int
		provider_balance: DF.Float
		provider_balance_checked_at: DF.Datetime | None
		provider_balance_unit: DF.Data | None
		queue_threshold: DF.Int
		recipients_per_job: DF.Int
		report_error_field: DF.Data | None
		report_message_id_field: DF.Data | None
		report_number_field: DF.Data | None
		report_status_field: DF.Data | None
		report_time_field: DF.Data | None
		send_deadline: DF.Float
		sender_name_roles: DF.TableMultiSelect[HasRole]
		sender_parameter: DF.Data | None
		sender_roles: DF.TableMultiSelect[HasRole]
		transactional_validity: DF.Int
		trusted_proxies: DF.SmallText | None
	# end: auto-generated types

	def validate(self):
		for fieldname in LIMITS:
			if not self.get(fieldname) or self.get(fieldname) <= 0:
				frappe.throw(_("{0} must be greater than zero.").format(_(self.meta.get_label(fieldname))))
		self.validate_message_id_pattern()
		self.validate_acceptance_rule()
		self.validate_trusted_proxies()
		self.validate_promotional_hours()

	def validate_message_id_pattern(self):
		"""A pattern that cannot be read would fail on every answer: refuse it here instead."""
		if problem := pattern_problem(self.message_id_source, self.message_id_pattern):
			frappe.throw(
				_("Message ID Pattern: {0}").format(problem),
				InvalidMessageIdPattern,
				title=_("Invalid pattern"),
			)

	def validate_acceptance_rule(self):
		pattern = self.acceptance_path if self.acceptance_rule == JSON_PATH else self.acceptance_pattern
		if self.acceptance_rule in (JSON_PATH, REGULAR_EXPRESSION) and not pattern:
			frappe.throw(_("Accepted When: {0} needs its pattern.").format(_(self.acceptance_rule)))
		if problem := pattern_problem(self.acceptance_rule, pattern):
			frappe.throw(
				_("Accepted When: {0}").format(problem), InvalidMessageIdPattern, title=_("Invalid pattern")
			)

	def acceptance_rule_of_answers(self) -> AcceptanceRule:
		"""The rule by which the Custom provider's answers say accepted."""
		return AcceptanceRule(
			kind=self.acceptance_rule or ANY_2XX,
			path=self.acceptance_path,
			accepted_values=tuple(v.strip() for v in (self.accepted_values or "").splitlines() if v.strip()),
			pattern=self.acceptance_pattern,
		)

	def validate_trusted_proxies(self):
		for line in (self.trusted_proxies or "").splitlines():
			try:
				ipaddress.ip_network(line.strip(), strict=False)
			except ValueError:
				if line.strip():
					frappe.throw(
						_("{0} is not an IP address or network.").format(frappe.bold(line.strip())),
						frappe.ValidationError,
					)

	def validate_promotional_hours(self):
		for fieldname in ("promotional_hours_start", "promotional_hours_end"):
			if not HOUR_FORMAT.match((self.get(fieldname) or "").strip()):
				frappe.throw(
					_("{0} must be a time of day as HH:MM, such as 07:00.").format(
						_(self.meta.get_label(fieldname))
					)
				)

	def report_fields(self) -> dict:
		"""Where delivery reports carry each value, by the chosen format."""
		if self.delivery_report_preset in PRESETS:
			return PRESETS[self.delivery_report_preset]
		return {
			"message_id": self.report_message_id_field,
			"number": self.report_number_field,
			"status": self.report_status_field,
			"time": self.report_time_field,
			"error": self.report_error_field,
		}


def get_settings() -> "SMSLogSettings":
	"""The settings, with the defaults for limits that were never saved."""
	settings = frappe.get_cached_doc("SMS Log Settings")
	for key, default in LIMITS.items():
		settings.set(key, settings.get(key) or default)
	return settings
