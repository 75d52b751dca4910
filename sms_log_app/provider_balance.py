"""The SMS provider account's balance, where the profile chosen in SMS Settings has a balance endpoint
(`Provider.balance_request`): asked by SMS Settings' *Check Balance* button and by the scheduler every
15 minutes, the last one kept in SMS Log Settings for the SMS Logs workspace's card.

A check that finds the balance below SMS Log Settings' *Low Balance Threshold* warns each System
Manager (Notification Log, linking to SMS Settings): once when it falls below, again a day later while
it stays below, and once more only after a check found it back at or above the threshold. What the
provider answers is masked of every credential before it is shown, kept or written to the log file.
"""

import frappe
import requests
from frappe import _
from frappe.utils import add_days, flt, get_datetime, now_datetime

from sms_log_app.account_refusals import system_managers
from sms_log_app.gateway import describe_failure, masked
from sms_log_app.gateway_settings import gateway_config
from sms_log_app.providers.base import Answer, Balance
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

SETTINGS = "SMS Log Settings"
NO_ENDPOINT = "{0} has no balance endpoint this app can ask: see the balance on the provider's own site."
WARN_AGAIN_AFTER_DAYS = 1


def ask_balance() -> Balance | None:
	"""The provider's answer about the account's balance, or None where its profile has no balance
	endpoint. A failed request, or an answer that states no balance, is its error, masked."""
	config = gateway_config(get_settings().gateway_timeout)
	request = config.profile.balance_request(config)
	if request is None:
		return None
	try:
		response = request.send(requests, config.timeout)
	except requests.RequestException as exc:
		return Balance(error=masked(describe_failure(exc, config.timeout), config.secrets))
	balance = config.profile.read_balance(Answer(response.status_code, response.reason or "", response.text))
	return Balance(balance.amount, balance.unit, masked(balance.error, config.secrets))


@frappe.whitelist(methods=["POST"])
def check_balance() -> dict:
	"""SMS Settings' *Check Balance* button: the balance, kept (and a warning where it is low), or the
	provider's error."""
	frappe.only_for("System Manager")
	balance = ask_balance()
	if balance is None:
		provider = frappe.db.get_single_value("SMS Settings", "sms_provider") or "Custom"
		frappe.throw(_(NO_ENDPOINT).format(provider), title=_("No Balance Endpoint"))
	if balance.error:
		return {"error": balance.error}
	keep(balance)
	return {"amount": balance.amount, "unit": balance.unit}


def refresh_balance():
	"""Scheduler, every 15 minutes: ask and keep the balance; nothing where the provider has no balance
	endpoint. A provider's error goes to the app's log file (masked); the last balance stays."""
	balance = ask_balance()
	if balance is None:
		return
	if balance.error:
		frappe.logger("sms_log_app").warning("SMS provider balance not read: %s", balance.error)
		return
	keep(balance)


def keep(balance: Balance):
	"""Keep `balance` as the last one checked, and warn System Managers where it crossed below the
	threshold (or stayed below a day since the last warning)."""
	settings = get_settings()
	threshold = flt(settings.low_balance_threshold)
	low = bool(threshold) and balance.amount < threshold
	warned_at = settings.low_balance_warned_at
	warn = low and (
		not warned_at or get_datetime(warned_at) < add_days(now_datetime(), -WARN_AGAIN_AFTER_DAYS)
	)
	values = {
		"provider_balance": balance.amount,
		"provider_balance_unit": balance.unit,
		"provider_balance_checked_at": now_datetime(),
	}
	if warn:
		values["low_balance_warned_at"] = now_datetime()
	elif not low:
		values["low_balance_warned_at"] = None
	frappe.db.set_single_value(SETTINGS, values, update_modified=False)
	if warn:
		_warn(balance, threshold)


def _warn(balance: Balance, threshold: float):
	subject = _("SMS provider balance is low: {0} {1}, below the threshold of {2}").format(
		frappe.format(balance.amount, "Float"),
		frappe.utils.escape_html(balance.unit),  # the provider's text, in a subject Desk shows as HTML
		frappe.format(threshold, "Float"),
	)
	for user in system_managers():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"subject": subject,
				"email_content": _("Top up the SMS provider account before sends stop for lack of balance."),
				"document_type": "SMS Settings",
				"document_name": "SMS Settings",
			}
		).insert(ignore_permissions=True)
