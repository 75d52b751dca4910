# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""What the SMS Log form reads while a bulk send goes out (sms_log_app.bulk_progress)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import now_datetime

from sms_log_app import log_writer
from sms_log_app.bulk_progress import bulk_progress
from sms_log_app.status import QUEUED, SENDING, SENT
from sms_log_app.tests.utils import delete_logs, make_user

MESSAGE = "Bulk progress test"


class TestBulkProgress(FrappeTestCase):
	def setUp(self):
		delete_logs(message=MESSAGE)
		self.addCleanup(delete_logs, message=MESSAGE)
		# first, so that the test's own row locks are gone when the log is deleted
		self.addCleanup(frappe.db.rollback)
		self.log = log_writer.write_queued_log(
			message=MESSAGE,
			numbers=[f"+96658{n:07d}" for n in range(4)],
			sender_name="Bulk Progress",
			sent_at=now_datetime(),
			log_fields={},
		)
		frappe.db.rollback()  # see what the log's own connection committed

	def test_counts_the_recipients_the_job_has_done(self):
		self.assertEqual(bulk_progress(self.log), {"status": QUEUED, "done": 0, "total": 4})
		rows = frappe.get_all(
			"SMS Log Recipient", filters={"parent": self.log}, pluck="name", order_by="idx asc"
		)
		for row, status in zip(rows, (SENT, SENT, SENDING), strict=False):
			frappe.db.set_value("SMS Log Recipient", row, "status", status)
		self.assertEqual(bulk_progress(self.log), {"status": QUEUED, "done": 2, "total": 4})

	def test_refused_to_a_user_who_may_not_read_the_log(self):
		make_user("sms-log-progress-plain@example.com", ["Blogger"])
		self.addCleanup(frappe.set_user, "Administrator")
		frappe.set_user("sms-log-progress-plain@example.com")
		with self.assertRaises(frappe.PermissionError):
			bulk_progress(self.log)
