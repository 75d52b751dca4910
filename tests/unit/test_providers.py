"""Each provider profile against its stub (real HTTP on 127.0.0.1, no Frappe): taken numbers, each
failure the profile names with its reason, and credentials kept out of every outcome."""

import dataclasses
import time
import unittest

import requests

from sms_log_app.gateway import GatewayConfig, ParallelSender, deliver
from sms_log_app.providers import PROFILES, AcceptanceRule, Custom, profile, reasons
from sms_log_app.providers.base import Answer
from sms_log_app.tests.provider_stubs import ProviderStub

N1, N2 = "+966500000001", "+966500000002"
SECRET = "sk-live-7f3a9c1e5b"
# the failures each stub can answer, and the reason each profile names for them (None: kept as said)
NAMED = {
	"Msegat": {"balance": reasons.BALANCE, "sender": reasons.SENDER, "number": reasons.NUMBER},
	"Taqnyat": {"balance": reasons.BALANCE, "sender": reasons.SENDER, "credentials": reasons.CREDENTIALS},
	"Unifonic": {
		"balance": reasons.BALANCE,
		"credentials": reasons.CREDENTIALS,
		"number": reasons.NUMBER,
		"sender": None,
	},
	"Twilio": {"number": reasons.NUMBER, "sender": reasons.SENDER, "credentials": reasons.CREDENTIALS},
	"Infobip": {"balance": reasons.BALANCE, "sender": reasons.SENDER, "number": reasons.NUMBER},
	"4jawaly": {"credentials": reasons.CREDENTIALS, "balance": None},
	"OurSMS": {"credentials": reasons.CREDENTIALS, "balance": None},
}


def config_for(stub: ProviderStub, name: str, rule=None) -> GatewayConfig:
	chosen = profile(name, rule)
	defaults = chosen.defaults
	static = {p.name: p.value or SECRET for p in defaults.parameters if not p.header}
	headers = {
		p.name: p.value + SECRET if p.name == "Authorization" else p.value
		for p in defaults.parameters
		if p.header
	}
	secrets = tuple(v for k, v in {**static, **headers}.items() if chosen.is_secret(k))
	return GatewayConfig(
		stub.url,
		defaults.message_parameter,
		defaults.receiver_parameter,
		static_parameters=static,
		headers=headers,
		use_post=defaults.use_post,
		use_json=defaults.use_json,
		timeout=2,
		secrets=(*secrets, SECRET),
		profile=chosen,
	)


class TestProfiles(unittest.TestCase):
	def stub(self, name):
		stub = ProviderStub(name).start()
		self.addCleanup(stub.stop)
		return stub

	def test_every_provider_is_listed(self):
		self.assertEqual(
			list(PROFILES),
			["Custom", "Msegat", "Unifonic", "Taqnyat", "4jawaly", "OurSMS", "Yamamah", "Twilio", "Infobip"],
		)

	def test_each_provider_names_its_sender_parameter_among_its_defaults(self):
		for name, cls in PROFILES.items():
			with self.subTest(name):
				if name == "Custom":
					self.assertIsNone(cls.sender_parameter)  # SMS Log Settings name it
					continue
				parameters = [p.name for p in cls.defaults.parameters if not p.header]
				self.assertIn(cls.sender_parameter, parameters)

	def test_taken_only_when_the_provider_says_so(self):
		for name, named in NAMED.items():
			stub = self.stub(name)
			config = config_for(stub, name)
			self.assertTrue(all(o.accepted for o in deliver(config, [N1, N2], "Hello")), name)
			for failure, reason in named.items():
				with self.subTest(provider=name, failure=failure):
					stub.failure = failure
					outcomes = deliver(config, [N1, N2], "Hello")
					self.assertFalse(any(o.accepted for o in outcomes))
					self.assertEqual({o.reason for o in outcomes}, {reason})
					self.assertTrue(all(o.error for o in outcomes))

	def test_msegat_balance_names_the_code_and_message(self):
		stub = self.stub("Msegat")
		stub.failure = "balance"
		(outcome,) = deliver(config_for(stub, "Msegat"), [N1], "Hello")
		self.assertEqual(outcome.http_status, 200)
		self.assertEqual(outcome.error, f"{reasons.BALANCE} (Msegat 1060: Balance is not enough)")
		self.assertEqual(stub.requests[0]["params"]["numbers"], N1.lstrip("+"))
		self.assertEqual(stub.requests[0]["params"]["apiKey"], SECRET)

	def test_per_number_answers(self):
		for name in ("Taqnyat", "Infobip", "Twilio"):
			with self.subTest(provider=name):
				stub = self.stub(name)
				stub.refused = {N2}
				outcomes = deliver(config_for(stub, name), [N1, N2], "Hello")
				self.assertEqual([o.accepted for o in outcomes], [True, False])
				self.assertEqual(outcomes[1].reason, reasons.NUMBER)

	def test_credentials_never_kept(self):
		for name in ("Msegat", "Taqnyat", "Unifonic", "Infobip"):
			with self.subTest(provider=name):
				stub = self.stub(name)
				stub.echo_credentials, stub.failure = True, "balance"
				(outcome,) = deliver(config_for(stub, name), [N1], "Hello")
				self.assertIn("****", outcome.response)
				for kept in (outcome.response, outcome.error, outcome.said):
					self.assertNotIn(SECRET, kept or "")

	def test_custom_rules(self):
		stub = self.stub("Custom")
		stub.failure = "balance"
		any_2xx = config_for(stub, "Custom")
		self.assertTrue(deliver(any_2xx, [N1], "Hello")[0].accepted)  # Frappe's way, the default
		by_path = config_for(stub, "Custom", AcceptanceRule("JSON Path", "Status", ("1",)))
		(refused,) = deliver(by_path, [N1], "Hello")
		self.assertFalse(refused.accepted)
		self.assertEqual(refused.code, "0")
		by_pattern = config_for(stub, "Custom", AcceptanceRule("Regular Expression", pattern='"Status": "1"'))
		self.assertFalse(deliver(by_pattern, [N1], "Hello")[0].accepted)
		stub.failure = None
		self.assertTrue(deliver(by_path, [N1], "Hello")[0].accepted)
		self.assertTrue(deliver(by_pattern, [N1], "Hello")[0].accepted)

	def test_custom_keeps_frappes_errors(self):
		self.assertIsInstance(profile(None), Custom)
		self.assertIsInstance(profile("Unknown"), Custom)


class TestBatches(unittest.TestCase):
	"""Many numbers per request: each number keeps its own outcome."""

	def stub(self, name):
		stub = ProviderStub(name).start()
		self.addCleanup(stub.stop)
		return stub

	def numbers(self, count):
		return [f"+9665000001{n:02d}" for n in range(count)]

	def test_numbers_go_in_batches_and_each_keeps_its_outcome(self):
		stub = self.stub("Taqnyat")
		targets = self.numbers(7)
		stub.refused = {targets[4]}
		config = dataclasses.replace(config_for(stub, "Taqnyat"), numbers_per_request=3)
		noted = []

		def note(index):
			noted.append(index)
			return True

		outcomes = deliver(config, [*targets[:2], "bad", *targets[2:]], "Hello", before_request=note)
		self.assertEqual([len(r["numbers"]) for r in stub.requests], [3, 3, 1])
		self.assertEqual(noted, [3, 6, 7], "each request noted by its last number")
		self.assertEqual(stub.received_numbers(), targets)
		self.assertEqual([o.accepted for o in outcomes], [True, True, False, True, True, False, True, True])
		self.assertEqual(outcomes[5].reason, reasons.NUMBER)
		self.assertEqual(len({o.message_id for o in outcomes if o.accepted}), 3, "one id per request")

	def test_a_batch_without_an_answer_is_unconfirmed_row_by_row(self):
		stub = self.stub("Msegat")
		stub.delay = 1
		config = dataclasses.replace(config_for(stub, "Msegat"), numbers_per_request=5, timeout=0.3)
		outcomes = deliver(config, self.numbers(5), "Hello")
		self.assertEqual(len(stub.requests), 1)
		self.assertTrue(all(o.unconfirmed and not o.accepted for o in outcomes))

	def test_a_personal_text_goes_one_number_a_request_with_its_own_text(self):
		stub = self.stub("Msegat")
		config = dataclasses.replace(config_for(stub, "Msegat"), numbers_per_request=10)
		targets = self.numbers(3)
		outcomes = deliver(config, targets, lambda number: f"Stop: https://x/{number}")
		with ParallelSender(config, lambda number: f"Stop: https://x/{number}", parallel=2) as sender:
			outcomes += sender.send(targets)
		self.assertTrue(all(o.accepted for o in outcomes))
		self.assertEqual(len(stub.requests), 6, "one request a number")
		for request in stub.requests:
			(number,) = request["numbers"]
			self.assertIn(f"https://x/+{number}", str(request["params"]))

	def test_parallel_batches_and_the_account_stop(self):
		stub = self.stub("Msegat")
		config = dataclasses.replace(config_for(stub, "Msegat"), numbers_per_request=10)
		counts = []
		with ParallelSender(config, "Hello", parallel=3, before_request=counts.append) as sender:
			outcomes = sender.send(self.numbers(45))
			self.assertTrue(all(o.accepted for o in outcomes))
			self.assertEqual(sorted(counts), [5, 10, 10, 10, 10], "the rate counts numbers")
			stub.failure = "balance"
			refused = sender.send(self.numbers(45))
		self.assertLessEqual(len(stub.requests) - 5, 3, "at most the requests in flight")
		self.assertFalse(any(o.accepted for o in refused))
		self.assertTrue(all(o.reason == reasons.BALANCE for o in refused))


class TestRetries(unittest.TestCase):
	"""What never reached the provider, and what it asked to repeat, is tried again; what may have
	been a send never is."""

	def setUp(self):
		self.stub = ProviderStub("Msegat").start()
		self.addCleanup(self.stub.stop)
		self.config = dataclasses.replace(config_for(self.stub, "Msegat"), timeout=0.5)

	def test_429_and_503_with_retry_after_are_tried_again(self):
		for failure in ("429", "503"):
			with self.subTest(failure=failure):
				self.stub.reset()
				self.stub.failure, self.stub.failures_left, self.stub.retry_after = failure, 1, "1"
				started = time.monotonic()
				(outcome,) = deliver(self.config, [N1], "Hello")
				self.assertGreaterEqual(time.monotonic() - started, 1, "Retry-After was waited for")
				self.assertTrue(outcome.accepted)
				self.assertEqual((outcome.attempts, len(self.stub.requests)), (2, 2))
				self.assertEqual(
					outcome.earlier,
					(f"HTTP {failure} {'Too Many Requests' if failure == '429' else 'Service Unavailable'}",),
				)

	def test_a_503_without_retry_after_is_not(self):
		self.stub.failure = "503"
		(outcome,) = deliver(self.config, [N1], "Hello")
		self.assertEqual((outcome.accepted, outcome.attempts, len(self.stub.requests)), (False, 1, 1))

	def test_a_refused_connection_is_tried_three_times_and_counts_three_for_the_breaker(self):
		refused = dataclasses.replace(self.config, url="http://127.0.0.1:9/send", numbers_per_request=1)
		first, second = deliver(refused, [N1, N2], "Hello")
		self.assertEqual((first.attempts, first.error), (3, "The gateway refused the connection"))
		self.assertEqual(second.attempts, 1)
		self.assertIn("failed 3 times in a row", second.error)

	def test_no_retry_past_the_deadline_nor_after_a_timeout(self):
		self.stub.failure, self.stub.retry_after = "429", "5"
		(outcome,) = deliver(self.config, [N1], "Hello", deadline=2)
		self.assertEqual((outcome.attempts, len(self.stub.requests)), (1, 1))
		self.stub.reset()
		self.stub.delay = 1
		(outcome,) = deliver(self.config, [N1], "Hello")
		self.assertTrue(outcome.unconfirmed)
		self.assertEqual((outcome.attempts, len(self.stub.requests)), (1, 1))

	def test_a_429_is_told_to_the_site_rate(self):
		self.stub.failure, self.stub.failures_left, self.stub.retry_after = "429", 1, "1"
		held = []
		with ParallelSender(self.config, "Hello", parallel=1, throttled=held.append) as sender:
			(outcome,) = sender.send([N1])
		self.assertTrue(outcome.accepted)
		self.assertEqual(held, [1.0])


class TestReports(unittest.TestCase):
	def test_unifonic_webhook(self):
		(report,) = profile("Unifonic").read_reports(
			{"MessageID": "42000348806924", "DLR": "Undeliverable", "Recipient": "966500000001"}
		)
		self.assertEqual(
			(report.message_id, report.number, report.status), ("42000348806924", N1, "Undelivered")
		)

	def test_infobip_results(self):
		delivered, pending = profile("Infobip").read_reports(
			{
				"results": [
					{"messageId": "a", "to": "966500000001", "status": {"groupName": "DELIVERED"}},
					{"messageId": "b", "to": "966500000002", "status": {"groupName": "PENDING"}},
				]
			}
		)
		self.assertEqual((delivered.status, delivered.number, pending.status), ("Delivered", N1, "Pending"))

	def test_profiles_without_a_format_read_the_settings(self):
		self.assertIsNone(profile("Msegat").read_reports({"anything": 1}))


# the unit each provider's balance answer states (the stubs answer in the provider's documented format)
BALANCE_UNITS = {
	"Msegat": "Credits",
	"Unifonic": "USD",
	"Taqnyat": "SAR",
	"4jawaly": "Credits",
	"Twilio": "USD",
	"Infobip": "EUR",
}


class TestBalance(unittest.TestCase):
	def ask(self, config):
		request = config.profile.balance_request(config)
		response = requests.request(
			request.method,
			request.url,
			params=request.params,
			data=request.data,
			json=request.json,
			headers=request.headers,
			timeout=5,
		)
		return config.profile.read_balance(Answer(response.status_code, response.reason, response.text))

	def test_each_profile_reads_its_providers_balance_and_its_refusal(self):
		for name, unit in BALANCE_UNITS.items():
			with self.subTest(provider=name), ProviderStub(name) as stub:
				stub.balance = 1234.5
				balance = self.ask(config_for(stub, name))
				self.assertEqual((balance.amount, balance.unit, balance.error), (1234.5, unit, None))
				self.assertEqual((len(stub.balance_requests), stub.requests), (1, []), "no SMS sent")
				sent = stub.balance_requests[0]
				self.assertIn(SECRET, str({**sent["params"], **sent["headers"]}), "the credentials go")
				stub.failure = "credentials"
				refused = self.ask(config_for(stub, name))
				self.assertIsNone(refused.amount)
				self.assertTrue(refused.error)

	def test_the_balance_endpoint_is_beside_the_providers_send_url(self):
		expected = {
			"Msegat": "https://www.msegat.com/gw/Credits.php",
			"Unifonic": "https://el.cloud.unifonic.com/rest/Account/GetBalance",
			"Taqnyat": "https://api.taqnyat.sa/account/balance",
			"4jawaly": "https://api-sms.4jawaly.com/api/v1/account/area/me/packages",
			"Twilio": "https://api.twilio.com/2010-04-01/Accounts/<AccountSid>/Balance.json",
			"Infobip": "https://<base-url>.api.infobip.com/account/1/balance",
		}
		for name, url in expected.items():
			chosen = profile(name)
			config = GatewayConfig(chosen.defaults.url, "m", "r", profile=chosen)
			self.assertEqual(chosen.balance_request(config).url, url, name)

	def test_providers_without_a_confirmed_balance_endpoint_are_never_asked(self):
		for name in ("Custom", "OurSMS", "Yamamah"):
			config = GatewayConfig("https://gateway.example/send", "m", "r", profile=profile(name))
			self.assertIsNone(config.profile.balance_request(config), name)

	def test_a_bare_msegat_login_code_is_an_error_not_credits(self):
		balance = profile("Msegat").read_balance(Answer(200, "OK", "1020"))
		self.assertEqual((balance.amount, balance.error), (None, "1020"))

	def test_an_answer_that_is_no_number_is_no_balance(self):
		for text in ("", "NaN", "inf", "<html>Bad gateway</html>"):
			balance = profile("Msegat").read_balance(Answer(200, "OK", text))
			self.assertIsNone(balance.amount, text)
			self.assertTrue(balance.error, text)
