"""The SMS provider account's balance over real HTTP to each provider's stub (tests/provider_stubs.py),
with the site's own SMS Settings: SMS Settings' Check Balance method, the scheduler's refresh (run
through its hook), the workspace card, the low-balance warning to System Managers once per crossing,
and no credential in what is returned, kept or written to the log file."""

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from sms_log_app import number_cards, provider_balance, providers
from sms_log_app.account_refusals import system_managers
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.tests.provider_stubs import ProviderStub
from sms_log_app.tests.utils import ProviderTestCase, as_plain_user, committed_provider

SECRET = "sk-live-balance-9d2e7a41"
KEPT = ("provider_balance", "provider_balance_unit", "provider_balance_checked_at", "low_balance_warned_at")
# the unit each provider's balance answer states, in the stubs' documented formats
UNITS = {
	"Msegat": "Credits",
	"Unifonic": "USD",
	"Taqnyat": "SAR",
	"4jawaly": "Credits",
	"Twilio": "USD",
	"Infobip": "EUR",
}


def use_secret():
	"""The chosen provider's credentials set to SECRET (committed; committed_provider restores them)."""
	settings = frappe.get_doc("SMS Settings")
	profile = providers.profile(settings.sms_provider)
	for row in settings.parameters:
		if profile.is_secret(row.parameter):
			row.value = f"{row.value.split()[0]} {SECRET}" if row.header else SECRET
	settings.save()
	frappe.db.commit()


def refresh_as_scheduled():
	"""What the scheduler runs every 15 minutes, found through the app's hooks."""
	for method in frappe.get_hooks("scheduler_events")["cron"]["*/15 * * * *"]:
		frappe.get_attr(method)()


def keep_balance_settings(test: FrappeTestCase, **values):
	"""SMS Log Settings' balance fields as `values` for the test, as they were after it."""
	before = {field: frappe.db.get_single_value("SMS Log Settings", field) for field in KEPT}
	before["low_balance_threshold"] = frappe.db.get_single_value("SMS Log Settings", "low_balance_threshold")
	test.addCleanup(frappe.db.commit)
	test.addCleanup(frappe.db.set_single_value, "SMS Log Settings", before)
	frappe.db.set_single_value("SMS Log Settings", {**dict.fromkeys(KEPT), **values})


def warnings_since(start) -> list[str]:
	return frappe.get_all(
		"Notification Log",
		filters={"document_type": "SMS Settings", "creation": (">=", start)},
		pluck="for_user",
	)


class TestBalanceOfEachProvider(FrappeTestCase):
	def setUp(self):
		keep_balance_settings(self, low_balance_threshold=0)

	def test_the_button_the_scheduler_and_the_card_read_each_providers_balance(self):
		for name, unit in UNITS.items():
			with self.subTest(provider=name), ProviderStub(name) as stub, committed_provider(stub):
				use_secret()
				stub.balance = 321.5
				self.assertEqual(provider_balance.check_balance(), {"amount": 321.5, "unit": unit})
				asked = stub.balance_requests[-1]
				self.assertIn(
					SECRET, str({**asked["params"], **asked["headers"]}), "asked with the credentials"
				)
				self.assertEqual(stub.requests, [], "no SMS sent")

				stub.balance = 123.25
				refresh_as_scheduled()
				self.assertEqual(len(stub.balance_requests), 2)
				card = number_cards.provider_balance()
				self.assertEqual((card["value"], card["route"]), (123.25, ["Form", "SMS Settings"]))
				settings = get_settings()
				self.assertEqual(settings.provider_balance_unit, unit)
				self.assertTrue(settings.provider_balance_checked_at)

	def test_a_refusal_is_shown_and_logged_without_the_credentials(self):
		for name in UNITS:
			with self.subTest(provider=name), ProviderStub(name) as stub, committed_provider(stub):
				use_secret()
				stub.balance = 77
				provider_balance.check_balance()
				stub.failure, stub.echo_credentials = "credentials", True  # the answer quotes them

				result = provider_balance.check_balance()
				self.assertTrue(result.get("error"), result)
				self.assertNotIn(SECRET, frappe.as_json(result))
				with patch("frappe.logger") as logger:
					refresh_as_scheduled()
				((_text, logged),) = [c.args for c in logger.return_value.warning.call_args_list]
				self.assertTrue(logged)
				self.assertNotIn(SECRET, logged)
				self.assertEqual(get_settings().provider_balance, 77, "the last balance read stays")

	def test_a_provider_without_a_balance_endpoint_is_never_asked(self):
		with ProviderStub("OurSMS") as stub, committed_provider(stub):
			with self.assertRaisesRegex(frappe.ValidationError, "OurSMS has no balance endpoint"):
				provider_balance.check_balance()
			refresh_as_scheduled()
			self.assertEqual((stub.requests, stub.balance_requests), ([], []))
			self.assertFalse(get_settings().provider_balance_checked_at)

	def test_only_system_managers_check_or_see_the_balance(self):
		as_plain_user(self)
		self.addCleanup(frappe.db.rollback)  # the plain user, made in this transaction
		with patch.dict(frappe.local.flags, {"in_test": False}):  # frappe.only_for passes every test
			for method in (provider_balance.check_balance, number_cards.provider_balance):
				with self.subTest(method=method.__name__), self.assertRaises(frappe.PermissionError):
					method()


class TestLowBalanceWarning(ProviderTestCase):
	provider = "Taqnyat"

	def setUp(self):
		self.stub.reset()
		self.start = now_datetime()
		keep_balance_settings(self, low_balance_threshold=100)
		self.addCleanup(
			frappe.db.delete,
			"Notification Log",
			{"document_type": "SMS Settings", "creation": (">=", self.start)},
		)
		self.managers = system_managers()
		self.assertTrue(self.managers)

	def test_each_system_manager_is_warned_once_per_crossing_and_a_day_later(self):
		self.stub.balance = 50
		refresh_as_scheduled()
		self.assertCountEqual(warnings_since(self.start), self.managers)
		(subject,) = set(
			frappe.get_all("Notification Log", {"document_type": "SMS Settings"}, pluck="subject", limit=1)
		)
		self.assertIn("50", subject)
		self.assertIn("SAR", subject)

		provider_balance.check_balance()  # the button finds it low too: no second warning
		refresh_as_scheduled()
		self.assertEqual(len(warnings_since(self.start)), len(self.managers))

		self.stub.balance = 150  # topped up
		refresh_as_scheduled()
		self.assertFalse(get_settings().low_balance_warned_at)
		self.stub.balance = 40  # and spent again
		refresh_as_scheduled()
		self.assertEqual(len(warnings_since(self.start)), 2 * len(self.managers))

		frappe.db.set_single_value("SMS Log Settings", "low_balance_warned_at", add_days(now_datetime(), -2))
		refresh_as_scheduled()  # still low a day after the last warning
		self.assertEqual(len(warnings_since(self.start)), 3 * len(self.managers))

	def test_no_warning_without_a_threshold(self):
		frappe.db.set_single_value("SMS Log Settings", "low_balance_threshold", 0)
		self.stub.balance = 1
		refresh_as_scheduled()
		self.assertEqual(warnings_since(self.start), [])
		self.assertEqual(number_cards.provider_balance()["value"], 1)
