import unittest

from sms_log_app.masking import mask_codes
from sms_log_app.status import (
	CANCELLED,
	DELIVERED,
	DUPLICATE,
	EXPIRED,
	FAILED,
	NOT_SENT,
	OPTED_OUT,
	PARTIALLY_DELIVERED,
	PARTIALLY_SENT,
	SENT,
	UNCONFIRMED,
	log_status,
	recipient_status,
	status_of_rows,
)


class TestLogStatus(unittest.TestCase):
	def test_statuses(self):
		self.assertEqual(log_status(3, 3), SENT)
		self.assertEqual(log_status(3, 2), PARTIALLY_SENT)
		self.assertEqual(log_status(3, 0), FAILED)
		self.assertEqual(log_status(0, 0), FAILED)

	def test_failed_only_when_nothing_can_have_gone_out(self):
		self.assertEqual(log_status(3, 0, unconfirmed=1), UNCONFIRMED)
		self.assertEqual(log_status(3, 1, unconfirmed=1), PARTIALLY_SENT)

	def test_recipient_status(self):
		self.assertEqual(recipient_status(True), SENT)
		self.assertEqual(recipient_status(False), FAILED)
		self.assertEqual(recipient_status(False, unconfirmed=True), UNCONFIRMED)

	def test_status_of_rows_counts_reports_that_came_while_sending(self):
		self.assertEqual(
			status_of_rows([(SENT, DELIVERED), (SENT, None), (FAILED, None)]), PARTIALLY_DELIVERED
		)
		self.assertEqual(status_of_rows([(UNCONFIRMED, None), (FAILED, None)]), UNCONFIRMED)
		self.assertEqual(status_of_rows([(SENT, None), (SENT, None)]), SENT)

	def test_cancelled_and_expired_sends(self):
		self.assertEqual(status_of_rows([(CANCELLED, None), (CANCELLED, None)]), CANCELLED)
		self.assertEqual(status_of_rows([(FAILED, None), (CANCELLED, None), (EXPIRED, None)]), CANCELLED)
		self.assertEqual(status_of_rows([(EXPIRED, None), (EXPIRED, None)]), NOT_SENT)
		# what went out before the cancel or the expiry counts as ever
		self.assertEqual(status_of_rows([(SENT, None), (CANCELLED, None)]), PARTIALLY_SENT)
		self.assertEqual(status_of_rows([(SENT, DELIVERED), (EXPIRED, None)]), PARTIALLY_DELIVERED)
		self.assertEqual(status_of_rows([(UNCONFIRMED, None), (CANCELLED, None)]), UNCONFIRMED)
		self.assertEqual(status_of_rows([(FAILED, None), (EXPIRED, None)]), FAILED)

	def test_skipped_rows_do_not_make_a_send_look_failed(self):
		self.assertEqual(status_of_rows([(SENT, None), (OPTED_OUT, None), (DUPLICATE, None)]), SENT)
		self.assertEqual(status_of_rows([(SENT, DELIVERED), (OPTED_OUT, None)]), DELIVERED)
		self.assertEqual(status_of_rows([(FAILED, None), (OPTED_OUT, None)]), FAILED)
		self.assertEqual(status_of_rows([(SENT, None), (FAILED, None), (DUPLICATE, None)]), PARTIALLY_SENT)

	def test_a_send_that_skipped_everyone_was_not_sent(self):
		self.assertEqual(status_of_rows([(OPTED_OUT, None), (DUPLICATE, None)]), NOT_SENT)


class TestMaskCodes(unittest.TestCase):
	def test_otp_is_masked(self):
		self.assertEqual(mask_codes("Your verification code is 123456"), "Your verification code is ••••••")

	def test_short_numbers_stay(self):
		self.assertEqual(mask_codes("Room 12, floor 3"), "Room 12, floor 3")

	def test_empty(self):
		self.assertEqual(mask_codes(None), "")
