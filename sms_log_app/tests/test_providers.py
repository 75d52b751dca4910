"""Provider profiles through the real send path (`send_sms`), each against its stub on 127.0.0.1:
a row is Sent only when the provider says it took the number, a refusal keeps the provider's code
and message with a reason in the site's language, credentials are never kept, and choosing a
provider in SMS Settings fills its fields."""

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase

from sms_log_app.provider_settings import provider_defaults
from sms_log_app.providers import reasons
from sms_log_app.tests.provider_stubs import ProviderStub
from sms_log_app.tests.utils import (
	N1,
	N2,
	committed_logs,
	forget_account_refusals,
	set_limits,
	set_site_country,
)

API_KEY = "mk-9d2b7e41c0a8"


def choose_provider(stub: ProviderStub, credentials: dict | None = None):
	"""SMS Settings as an administrator fills them in the form: the provider chosen (the form fills
	its fields, `provider_defaults`), its URL replaced by the stub's and its credentials typed in; saved
	in the current transaction."""
	settings = frappe.get_doc("SMS Settings")
	settings.sms_provider = stub.provider
	settings.update(provider_defaults(stub.provider))
	settings.sms_gateway_url = stub.url
	for row in settings.parameters:
		row.value = (credentials or {}).get(row.parameter) or row.value or "SAFE"
	settings.save()
	return settings


class TestProviderProfiles(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.stubs = {name: ProviderStub(name).start() for name in ("Msegat", "Taqnyat", "Twilio", "Custom")}
		for stub in cls.stubs.values():
			cls.addClassCleanup(stub.stop)

	def setUp(self):
		for stub in self.stubs.values():
			stub.reset()
		set_site_country()
		set_limits(gateway_timeout=2)
		self.message = f"Provider test {frappe.generate_hash(length=10)}"
		self.addCleanup(forget_account_refusals, self.message)
		self.addCleanup(frappe.db.rollback)

	def send(self, numbers):
		sms_settings.send_sms(numbers, self.message)
		(log,) = committed_logs(message=self.message)
		return log

	def test_the_field_is_there_and_custom_by_default(self):
		field = frappe.get_meta("SMS Settings").get_field("sms_provider")
		self.assertEqual(field.fieldtype, "Select")
		self.assertEqual(field.options.split("\n")[:2], ["Custom", "Msegat"])
		self.assertEqual(field.default, "Custom")

	def test_choosing_a_provider_fills_its_fields(self):
		settings = choose_provider(self.stubs["Msegat"], {"apiKey": API_KEY})
		self.assertEqual((settings.message_parameter, settings.receiver_parameter), ("msg", "numbers"))
		self.assertTrue(settings.use_post)
		self.assertEqual(settings.sms_gateway_url, self.stubs["Msegat"].url)  # the saved URL is kept
		parameters = {p.parameter: (p.value, p.header) for p in settings.parameters}
		self.assertEqual(parameters["apiKey"], (API_KEY, 0))
		self.assertEqual(parameters["Content-Type"], ("application/json", 1))

	def test_a_provider_chosen_without_the_form_is_filled_on_save(self):
		"""A REST caller or server code sends the provider and its credentials only: the rest is filled,
		and a URL sent with it is kept."""
		settings = choose_provider(self.stubs["Msegat"], {"apiKey": API_KEY})
		settings.sms_provider = "Taqnyat"
		settings.set("parameters", [{"parameter": "sender", "value": "Dafater"}])
		settings.save()
		self.assertEqual((settings.receiver_parameter, settings.message_parameter), ("recipients", "body"))
		self.assertEqual(settings.sms_gateway_url, "https://api.taqnyat.sa/v1/messages")
		parameters = {p.parameter: p.value for p in settings.parameters}
		self.assertEqual(parameters["sender"], "Dafater")
		self.assertEqual(parameters["Content-Type"], "application/json")
		settings.sms_provider = "Msegat"
		settings.sms_gateway_url = "http://127.0.0.1:9/proxy"
		settings.set(
			"parameters", [{"parameter": "userName", "value": "u"}, {"parameter": "apiKey", "value": "k"}]
		)
		settings.append("parameters", {"parameter": "userSender", "value": "Dafater"})
		settings.save()
		self.assertEqual(settings.sms_gateway_url, "http://127.0.0.1:9/proxy")
		self.assertEqual(settings.receiver_parameter, "numbers")

	def test_msegat_empty_balance_is_no_send(self):
		choose_provider(self.stubs["Msegat"], {"apiKey": API_KEY})
		set_limits(gateway_timeout=2, numbers_per_request=1)
		self.stubs["Msegat"].failure = "balance"
		log = self.send([N1, N2])
		self.assertEqual(log.status, "Failed")
		refused, not_sent = log.recipients
		error = f"{reasons.BALANCE} (Msegat 1060: Balance is not enough)"
		self.assertEqual((refused.status, refused.http_status, refused.error), ("Failed", 200, error))
		self.assertEqual((not_sent.status, not_sent.error), ("Failed", f"Not sent: {error}"))
		self.assertEqual(len(self.stubs["Msegat"].requests), 1)
		self.assertEqual(self.stubs["Msegat"].requests[0]["params"]["apiKey"], API_KEY)

	def test_msegat_taken(self):
		choose_provider(self.stubs["Msegat"], {"apiKey": API_KEY})
		log = self.send([N1])
		self.assertEqual((log.status, log.recipients[0].status), ("Sent", "Sent"))

	def test_taqnyat_answers_per_number(self):
		choose_provider(self.stubs["Taqnyat"], {"Authorization": f"Bearer {API_KEY}"})
		self.stubs["Taqnyat"].refused = {N2}
		log = self.send([N1, N2])
		self.assertEqual(log.status, "Partially Sent")
		self.assertEqual([r.status for r in log.recipients], ["Sent", "Failed"])
		self.assertTrue(log.recipients[0].message_id)
		self.assertIn(reasons.NUMBER, log.recipients[1].error)
		self.assertEqual(self.stubs["Taqnyat"].requests[0]["headers"]["Authorization"], f"Bearer {API_KEY}")

	def test_twilio_refusal_in_arabic(self):
		choose_provider(self.stubs["Twilio"])
		self.stubs["Twilio"].failure = "number"
		frappe.local.lang = "ar"
		self.addCleanup(setattr, frappe.local, "lang", "en")
		log = self.send([N1])
		(row,) = log.recipients
		self.assertEqual((row.status, row.http_status), ("Failed", 400))
		self.assertIn(frappe._(reasons.NUMBER, lang="ar"), row.error)
		self.assertNotEqual(frappe._(reasons.NUMBER, lang="ar"), reasons.NUMBER)
		self.assertIn("Twilio 21211", row.error)

	def test_credentials_are_never_kept(self):
		choose_provider(self.stubs["Msegat"], {"apiKey": API_KEY})
		self.stubs["Msegat"].echo_credentials = True
		self.stubs["Msegat"].failure = "credentials"
		log = self.send([N1])
		(row,) = log.recipients
		self.assertIn(reasons.CREDENTIALS, row.error)
		self.assertIn("****", row.gateway_response)
		for kept in (row.error, row.gateway_response, log.as_json()):
			self.assertNotIn(API_KEY, kept)

	def test_custom_rule_in_sms_log_settings(self):
		settings = frappe.get_doc("SMS Settings")
		settings.update(
			{"sms_provider": "Custom", "sms_gateway_url": self.stubs["Custom"].url, "use_post": 1}
		)
		settings.update({"message_parameter": "text", "receiver_parameter": "to", "parameters": []})
		settings.save()
		self.stubs["Custom"].failure = "balance"
		self.assertEqual(self.send([N1]).status, "Sent")  # any 2xx: Frappe's way, the default
		self.message += " rule"
		set_limits(
			gateway_timeout=2, acceptance_rule="JSON Path", acceptance_path="Status", accepted_values="1"
		)
		(row,) = self.send([N1]).recipients
		self.assertEqual(row.status, "Failed")
		self.assertIn("0: The answer does not say accepted", row.error)
