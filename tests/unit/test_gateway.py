"""`gateway.deliver` against the gateway stub (a real HTTP server on 127.0.0.1, no Frappe)."""

import unittest

from sms_log_app.delivery import pattern_problem
from sms_log_app.gateway import GATEWAY_DOWN, STOPPED, GatewayConfig, deliver
from sms_log_app.providers import Custom
from sms_log_app.tests.gateway_stub import GatewayStub

N1, N2, N3, N4 = "+966500000001", "+966500000002", "+966500000003", "+966500000004"


class TestDeliver(unittest.TestCase):
	def setUp(self):
		self.gateway = GatewayStub(hang_seconds=1).start()
		self.addCleanup(self.gateway.stop)
		self.config = GatewayConfig(self.gateway.url, "text", "to", timeout=0.3, profile=Custom())

	def test_each_number_gets_its_own_outcome(self):
		self.gateway.behaviours.update({N2: "reject"})
		outcomes = deliver(self.config, [N1, N2, "not a number"], "Hello")
		self.assertEqual([o.accepted for o in outcomes], [True, False, False])
		self.assertEqual(outcomes[1].error, "HTTP 400 Bad Request")
		self.assertEqual(self.gateway.received_numbers(), [N1, N2])

	def test_no_answer_is_unconfirmed_a_refused_connection_is_not(self):
		self.gateway.behaviours.update({N1: "hang", N2: "drop"})
		hung, dropped = deliver(self.config, [N1, N2], "Hello")
		self.assertTrue(hung.unconfirmed and dropped.unconfirmed)
		refused = GatewayConfig("http://127.0.0.1:9/send", "text", "to", timeout=0.3, profile=Custom())
		(outcome,) = deliver(refused, [N3], "Hello")
		self.assertEqual((outcome.unconfirmed, outcome.error), (False, "The gateway refused the connection"))

	def test_a_gateway_down_three_times_stops_the_send(self):
		self.gateway.behaviours.update(dict.fromkeys([N1, N2, N3], "error"))
		outcomes = deliver(self.config, [N1, N2, N3, N4], "Hello")
		self.assertEqual(outcomes[3].error, GATEWAY_DOWN.format(3))
		self.assertEqual(len(self.gateway.requests), 3)

	def test_before_request_is_told_each_request_and_can_stop_the_rest(self):
		noted = []

		def note(index):
			noted.append(index)
			return index < 1

		outcomes = deliver(self.config, [N1, "bad", N2, N3], "Hello", before_request=note)
		self.assertEqual(noted, [0, 2])
		self.assertEqual([o.error for o in outcomes[2:]], [STOPPED, STOPPED])
		self.assertEqual(self.gateway.received_numbers(), [N1])


class TestPatternProblem(unittest.TestCase):
	def test_patterns(self):
		self.assertIsNone(pattern_problem("Regular Expression", r"id: (\w+)"))
		self.assertIn("not a regular expression", pattern_problem("Regular Expression", "id: (\\w+"))
		self.assertIsNone(pattern_problem("JSON Path", "data.messages.0.id"))
		self.assertIn("not a JSON path", pattern_problem("JSON Path", "data..id"))
		self.assertIsNone(pattern_problem("None", "("))
