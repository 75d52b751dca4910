import unittest

from sms_log_app.masking import mask_codes
from sms_log_app.status import FAILED, PARTIALLY_SENT, SENT, log_status


class TestLogStatus(unittest.TestCase):
	def test_statuses(self):
		self.assertEqual(log_status(3, 3), SENT)
		self.assertEqual(log_status(3, 2), PARTIALLY_SENT)
		self.assertEqual(log_status(3, 0), FAILED)
		self.assertEqual(log_status(0, 0), FAILED)


class TestMaskCodes(unittest.TestCase):
	def test_otp_is_masked(self):
		self.assertEqual(mask_codes("Your verification code is 123456"), "Your verification code is ••••••")

	def test_short_numbers_stay(self):
		self.assertEqual(mask_codes("Room 12, floor 3"), "Room 12, floor 3")

	def test_empty(self):
		self.assertEqual(mask_codes(None), "")
