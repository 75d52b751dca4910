import unittest
from datetime import datetime, time

from sms_log_app.send_times import expires_at, is_promotional_sender_id, next_opening, send_time, within_hours

DAY = (time(7), time(22))


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
	return datetime(2026, 12, day, hour, minute)


class TestSenderId(unittest.TestCase):
	def test_ad_suffix(self):
		self.assertTrue(is_promotional_sender_id("Dafater-AD"))
		self.assertTrue(is_promotional_sender_id(" dafater-ad "))
		self.assertFalse(is_promotional_sender_id("Dafater"))
		self.assertFalse(is_promotional_sender_id("Dafater-ADX"))
		self.assertFalse(is_promotional_sender_id(""))
		self.assertFalse(is_promotional_sender_id(None))


class TestSendingHours(unittest.TestCase):
	def test_within_the_day(self):
		self.assertTrue(within_hours(at(7), *DAY))
		self.assertTrue(within_hours(at(21, 59), *DAY))
		self.assertFalse(within_hours(at(22), *DAY))
		self.assertFalse(within_hours(at(6, 59), *DAY))

	def test_hours_past_midnight(self):
		night = (time(20), time(2))
		self.assertTrue(within_hours(at(23), *night))
		self.assertTrue(within_hours(at(1), *night))
		self.assertFalse(within_hours(at(12), *night))
		self.assertEqual(next_opening(at(12), *night), at(20))

	def test_equal_times_mean_all_day(self):
		self.assertTrue(within_hours(at(3), time(7), time(7)))

	def test_next_opening(self):
		self.assertEqual(next_opening(at(12), *DAY), at(12))
		self.assertEqual(next_opening(at(5), *DAY), at(7))
		self.assertEqual(next_opening(at(23), *DAY), at(7, day=7))


class TestSendTime(unittest.TestCase):
	def test_now_within_hours_sends_now(self):
		self.assertIsNone(send_time(at(12), None, DAY))
		self.assertIsNone(send_time(at(3), None, None))

	def test_outside_hours_is_held_until_they_open(self):
		self.assertEqual(send_time(at(23), None, DAY), at(7, day=7))

	def test_a_time_in_the_past_sends_now(self):
		self.assertIsNone(send_time(at(12), at(9), DAY))
		self.assertEqual(send_time(at(23), at(9), DAY), at(7, day=7))

	def test_a_later_time(self):
		self.assertEqual(send_time(at(12), at(15), None), at(15))
		self.assertEqual(send_time(at(12), at(23), None), at(23))
		self.assertEqual(send_time(at(12), at(23), DAY), at(7, day=7))


class TestValidity(unittest.TestCase):
	def test_expires_at(self):
		self.assertEqual(expires_at(at(12), 10), at(12, 10))
		self.assertEqual(expires_at(at(12), 1440), at(12, day=7))
		self.assertIsNone(expires_at(at(12), 0))
		self.assertIsNone(expires_at(at(12), None))
