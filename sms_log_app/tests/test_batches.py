"""Many numbers per request, through the real send path: the write-ahead rule per batch, each number
its own outcome, Unconfirmed row by row when no answer came, bulk sends on real workers with the
site-wide rate counting numbers, and Resend."""

from collections import Counter

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import resend
from sms_log_app.status import FAILED, QUEUED, SENT, UNCONFIRMED
from sms_log_app.tests.utils import (
	ProviderTestCase,
	WriteAheadAudit,
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


class TestBatches(ProviderTestCase):
	provider = "Taqnyat"

	def setUp(self):
		self.stub.reset()
		set_site_country()
		self.message = f"Batch test {frappe.generate_hash(length=10)}"
		self.audit = WriteAheadAudit()
		self.stub.on_request = lambda numbers: [self.audit(n) for n in numbers]
		self.addCleanup(self.remove_test_data)

	def remove_test_data(self):
		frappe.db.rollback()
		forget_account_refusals(self.message)
		set_limits(numbers_per_request=0)  # not among the limits set_limits restores
		frappe.db.commit()

	def use_limits(self, **values):
		set_limits(**values)
		frappe.db.commit()  # the worker processes read them

	def send(self, targets, message=None):
		sms_settings.send_sms(targets, message or self.message, success_msg=False)
		(log,) = committed_logs(message=message or self.message)
		return log

	def test_a_send_goes_in_batches_each_row_written_first(self):
		self.use_limits(numbers_per_request=3)
		targets = numbers(7, 3)
		self.stub.refused = {targets[4]}
		log = self.send(targets)
		self.assertEqual([len(r["numbers"]) for r in self.stub.requests], [3, 3, 1])
		self.assertEqual((self.audit.violations, len(self.audit.checked)), ([], 7))
		self.assertEqual([r.status for r in log.recipients], [SENT] * 4 + [FAILED] + [SENT] * 2)
		self.assertEqual(log.status, "Partially Sent")

	def test_a_batch_without_an_answer_is_unconfirmed_row_by_row(self):
		self.use_limits(numbers_per_request=5, gateway_timeout=0.5)
		self.stub.delay = 1.5
		log = self.send(numbers(5, 3))
		self.assertEqual(len(self.stub.requests), 1)
		self.assertEqual({r.status for r in log.recipients}, {UNCONFIRMED})
		self.assertEqual(log.status, UNCONFIRMED)

	def test_resend_sends_only_the_refused_ones_in_one_request(self):
		self.use_limits(numbers_per_request=10)
		targets = numbers(6, 3)
		self.stub.refused = {targets[1], targets[3]}
		log = self.send(targets)
		self.stub.reset()
		frappe.db.commit()  # a fresh snapshot, which has the log
		again = resend.resend(log.name)
		self.assertEqual([r["numbers"] for r in self.stub.requests], [[targets[1][1:], targets[3][1:]]])
		(resent,) = committed_logs(name=again)
		self.assertEqual([r.status for r in resent.recipients], [SENT, SENT])

	def test_a_bulk_send_in_batches_on_workers_keeps_the_rate_in_numbers(self):
		self.use_limits(
			queue_threshold=10,
			recipients_per_job=50,
			parallel_requests=2,
			numbers_per_request=10,
			messages_per_second=40,
		)
		targets = numbers(120, 4)
		self.stub.refused = {targets[7], targets[77]}
		sms_settings.send_sms(targets, self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, QUEUED)
		run_jobs(*chunk_jobs(log.name), queue="long")
		wait_until(lambda: committed_status(log.name) != QUEUED)

		self.assertEqual(Counter(self.stub.received_numbers()), Counter(targets), "each number once")
		self.assertEqual(self.audit.violations, [])
		self.assertTrue(all(len(r["numbers"]) <= 10 for r in self.stub.requests))
		rows = committed_rows(log.name)
		self.assertEqual([r.number for r in rows if r.status == FAILED], [targets[7], targets[77]])
		self.assertEqual(sum(r.status == SENT for r in rows), 118)
		arrivals = [(r["received_at"], len(r["numbers"])) for r in self.stub.requests]
		busiest = max(sum(n for t, n in arrivals if start <= t < start + 1) for start, _ in arrivals)
		self.assertLessEqual(busiest, 40, "the rate counts numbers, not requests")
