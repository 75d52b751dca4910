"""Retries through the real send path: a 429 or a 503 with Retry-After is tried again within the
send's deadline, and its row tells the tries; on real workers a 429 holds back the whole site."""

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app.status import QUEUED, SENT
from sms_log_app.tests.utils import (
	ProviderTestCase,
	chunk_jobs,
	committed_logs,
	committed_rows,
	committed_status,
	forget_account_refusals,
	numbers,
	run_jobs,
	set_limits,
	set_site_country,
	wait_until,
)


class TestRetries(ProviderTestCase):
	provider = "Msegat"

	def setUp(self):
		self.stub.reset()
		set_site_country()
		self.message = f"Retry test {frappe.generate_hash(length=10)}"
		self.addCleanup(self.remove_test_data)

	def remove_test_data(self):
		frappe.db.rollback()
		forget_account_refusals(self.message)
		set_limits(numbers_per_request=0)  # not among the limits set_limits restores
		frappe.db.commit()

	def test_a_429_is_tried_again_and_the_row_says_so(self):
		self.stub.failure, self.stub.failures_left, self.stub.retry_after = "429", 1, "1"
		sms_settings.send_sms(numbers(2, 9), self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, SENT)
		self.assertEqual(len(self.stub.requests), 2)
		for row in log.recipients:
			self.assertEqual(row.error, "Accepted after 2 attempts; before: HTTP 429 Too Many Requests")

	def test_a_429_holds_back_every_job_of_the_site(self):
		set_limits(queue_threshold=5, recipients_per_job=10, parallel_requests=2, numbers_per_request=5)
		frappe.db.commit()
		self.stub.failure, self.stub.failures_left, self.stub.retry_after = "429", 1, "2"
		self.stub.delay = 0.05
		targets = numbers(40, 9)
		sms_settings.send_sms(targets, self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, QUEUED)
		run_jobs(*chunk_jobs(log.name), queue="long")
		wait_until(lambda: committed_status(log.name) != QUEUED)

		self.assertEqual({row.status for row in committed_rows(log.name)}, {SENT})
		throttled_at = self.stub.requests[0]["received_at"]
		later = [r["received_at"] - throttled_at for r in self.stub.requests[1:]]
		# the other thread's request may have been on its way already; none left in the next 2 s after it
		self.assertLessEqual(sum(t < 1.8 for t in later), 1)
