import unittest

from sms_log_app.delivery import JSON_PATH, PRESETS, REGULAR_EXPRESSION, extract_message_id, parse_report
from sms_log_app.status import (
	DELIVERED,
	EXPIRED,
	FAILED,
	PARTIALLY_DELIVERED,
	PARTIALLY_SENT,
	PENDING,
	SENT,
	UNDELIVERED,
	UNKNOWN,
	next_delivery_status,
	rolled_up_status,
)


class TestExtractMessageId(unittest.TestCase):
	def test_json_path(self):
		answer = '{"data": {"messages": [{"id": "abc-1"}, {"id": 42}]}}'
		self.assertEqual(extract_message_id(answer, JSON_PATH, "data.messages.0.id"), "abc-1")
		self.assertEqual(extract_message_id(answer, JSON_PATH, "data.messages.1.id"), "42")
		self.assertIsNone(extract_message_id(answer, JSON_PATH, "data.messages.5.id"))
		self.assertIsNone(extract_message_id(answer, JSON_PATH, "data.missing"))
		self.assertIsNone(extract_message_id(answer, JSON_PATH, "data"))  # not a scalar
		self.assertIsNone(extract_message_id("not json", JSON_PATH, "id"))

	def test_regular_expression(self):
		self.assertEqual(extract_message_id("OK: ID 77813", REGULAR_EXPRESSION, r"ID (\d+)"), "77813")
		self.assertEqual(extract_message_id("OK 77813", REGULAR_EXPRESSION, r"\d+"), "77813")
		self.assertIsNone(extract_message_id("ERROR", REGULAR_EXPRESSION, r"ID (\d+)"))

	def test_none_configured_or_empty_answer(self):
		self.assertIsNone(extract_message_id('{"id": 1}', "None", "id"))
		self.assertIsNone(extract_message_id("", JSON_PATH, "id"))
		self.assertIsNone(extract_message_id('{"id": 1}', JSON_PATH, None))


class TestParseReport(unittest.TestCase):
	def test_twilio_status_callback(self):
		report = parse_report(
			{"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30003", "To": "+9665"},
			PRESETS["Twilio"],
		)
		self.assertEqual((report.message_id, report.status, report.error), ("SM123", UNDELIVERED, "30003"))

	def test_generic(self):
		report = parse_report(
			{"message_id": "m1", "status": "DELIVRD", "timestamp": "2026-11-27 10:00:00"}, PRESETS["Generic"]
		)
		self.assertEqual((report.status, report.time, report.error), (DELIVERED, "2026-11-27 10:00:00", None))

	def test_statuses_map_onto_the_apps_own(self):
		for provider, status in [
			("sent", PENDING),
			("expired", EXPIRED),
			("failed", FAILED),
			("weird", UNKNOWN),
		]:
			with self.subTest(provider=provider):
				self.assertEqual(parse_report({"status": provider}, PRESETS["Generic"]).status, status)


class TestDeliveryStatusMoves(unittest.TestCase):
	def test_final_is_never_replaced(self):
		self.assertIsNone(next_delivery_status(DELIVERED, PENDING))
		self.assertIsNone(next_delivery_status(DELIVERED, DELIVERED))
		self.assertIsNone(next_delivery_status(UNDELIVERED, DELIVERED))

	def test_progress(self):
		self.assertEqual(next_delivery_status(PENDING, DELIVERED), DELIVERED)
		self.assertEqual(next_delivery_status(None, PENDING), PENDING)
		self.assertIsNone(next_delivery_status(PENDING, UNKNOWN))

	def test_rollup(self):
		self.assertEqual(rolled_up_status(SENT, [DELIVERED, DELIVERED]), DELIVERED)
		self.assertEqual(rolled_up_status(SENT, [DELIVERED, UNDELIVERED, PENDING]), PARTIALLY_DELIVERED)
		self.assertEqual(rolled_up_status(PARTIALLY_SENT, [UNDELIVERED, None]), UNDELIVERED)
		self.assertEqual(rolled_up_status(SENT, [PENDING, UNDELIVERED]), SENT)
		self.assertEqual(rolled_up_status(PARTIALLY_SENT, [DELIVERED, None]), PARTIALLY_DELIVERED)
