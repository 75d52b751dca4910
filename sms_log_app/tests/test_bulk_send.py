# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Bulk sends: above the queue threshold the caller gets a Queued log at once, and real worker
processes send it in chunks, spread over as many workers as run, resume after being killed without
sending a number twice, and keep the gateway's rate limit for the whole site. Small sends stay
synchronous."""

import signal
import time
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import frappe
import psutil
import pymysql
import pyotp
from frappe import twofactor
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime
from frappe.utils.background_jobs import get_job
from rq.utils import utcnow

from sms_log_app import bulk_send
from sms_log_app.log_writer import separate_connection
from sms_log_app.recovery import INTERRUPTED
from sms_log_app.status import QUEUED, SENDING, SENT, UNCONFIRMED
from sms_log_app.tests.utils import (
	GatewayTestCase,
	chunk_jobs,
	committed_rows,
	committed_sms_settings,
	committed_status,
	delete_logs,
	numbers,
	run_jobs,
	set_limits,
	start_worker,
	wait_until,
)

MESSAGE = "Bulk send test"
OTP_NUMBER = "+966500000099"


class TestBulkSend(GatewayTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		settings = committed_sms_settings(cls.gateway)
		settings.__enter__()
		cls.addClassCleanup(settings.__exit__, None, None, None)

	def setUp(self):
		self.gateway.requests.clear()
		self.addCleanup(self.restore_limits)

	def restore_limits(self):
		set_limits(messages_per_second=0)  # not among the limits set_limits restores
		frappe.db.commit()
		delete_logs(message=MESSAGE)

	def use_limits(self, **values):
		set_limits(**values)
		frappe.db.commit()  # the worker process reads them

	def run_queued(self, log_name: str):
		run_jobs(*chunk_jobs(log_name), queue="long")
		wait_until(lambda: committed_status(log_name) != QUEUED)

	def run_on_two_workers(self, log_name: str):
		"""Two burst workers at once, as two machines of one site would run them."""
		workers = [start_worker("long") for _ in range(2)]
		for worker in workers:
			worker.wait(timeout=300)
		wait_until(lambda: committed_status(log_name) != QUEUED)

	def gateway_is_quiet(self) -> bool:
		before = len(self.gateway.requests)
		time.sleep(1)
		return len(self.gateway.requests) == before

	def test_500_recipients_are_queued_and_sent_in_the_background(self):
		targets = numbers(500, 1)
		log_name = capture_send(targets)
		self.assertEqual(committed_status(log_name), QUEUED)
		self.assertEqual({row.status for row in committed_rows(log_name)}, {QUEUED})

		self.run_queued(log_name)

		with separate_connection():
			self.assertEqual(frappe.db.count("SMS Log", {"message": MESSAGE}), 1)
			log = frappe.get_doc("SMS Log", log_name)
		self.assertEqual((log.status, log.sender_name), (SENT, "Bulk Tester"))
		self.assertEqual((log.noofrequested_sms, log.noofsent_sms), (500, 500))
		self.assertEqual(log.sent_to.split("\n"), targets)
		self.assertEqual([row.status for row in committed_rows(log_name)], [SENT] * 500)
		self.assertEqual(Counter(self.gateway.received_numbers()), Counter(targets))
		self.assertEqual(log.recipients_done, 500)

	def test_2000_recipients_split_over_two_workers(self):
		self.use_limits(recipients_per_job=500)
		self.gateway.delay = 0.2  # each chunk keeps a worker busy for seconds: the other starts meanwhile
		self.addCleanup(setattr, self.gateway, "delay", 0)
		targets = numbers(2000, 5)
		log_name = capture_send(targets)
		jobs = chunk_jobs(log_name)
		self.assertEqual(len(jobs), 4)

		self.run_on_two_workers(log_name)

		self.assertEqual(committed_status(log_name), SENT)
		received = self.gateway.received_numbers()
		self.assertEqual(Counter(received), Counter(targets), "each number exactly once")
		for job in jobs:
			job.refresh()
		self.assertEqual(len({job.worker_name for job in jobs}), 2, "both workers took chunks")

	def test_the_site_wide_rate_limit_holds_with_two_workers(self):
		self.use_limits(queue_threshold=10, messages_per_second=20, recipients_per_job=50)
		log_name = capture_send(numbers(200, 6))

		self.run_on_two_workers(log_name)

		self.assertEqual(committed_status(log_name), SENT)
		times = sorted(r["received_at"] for r in self.gateway.requests)
		self.assertEqual(len(times), 200)
		busiest_second = max(sum(start <= t < start + 1 for t in times) for start in times)
		self.assertLessEqual(busiest_second, 20)

	def test_synchronous_sends_take_the_site_rate(self):
		self.use_limits(messages_per_second=4)
		capture_send(numbers(5, 8))
		times = [r["received_at"] for r in self.gateway.requests]
		self.assertEqual(len(times), 5)
		self.assertGreaterEqual(min(b - a for a, b in pairwise(times)), 1 / 4)

	def test_a_one_time_code_goes_ahead_of_a_bulk_send(self):
		self.use_limits(queue_threshold=10, messages_per_second=4)  # 40 recipients take 11 s
		log_name = capture_send(numbers(40, 9))
		worker = start_worker("long")
		self.addCleanup(worker.wait, timeout=300)
		wait_until(lambda: len(self.gateway.requests) >= 3, what="the bulk send's first requests")

		started = time.monotonic()
		self.assertTrue(twofactor.send_token_via_sms(pyotp.random_base32(), token=5, phone_no=OTP_NUMBER))
		waited = time.monotonic() - started
		self.addCleanup(delete_logs, requested_numbers=OTP_NUMBER)

		# the bulk send's threads hold up to 20 slots (5.5 s) ahead: the code waits for none of them
		self.assertLess(waited, 1.5)
		self.assertLess(len(self.gateway.requests), 40)
		wait_until(lambda: committed_status(log_name) != QUEUED)
		times = sorted(r["received_at"] for r in self.gateway.requests)
		self.assertEqual(len(times), 41)
		busiest_second = max(sum(start <= t < start + 1 for t in times) for start in times)
		self.assertLessEqual(busiest_second, 4 + 1, "the rate, and the one code that went first")

	def test_a_killed_worker_resumes_at_the_first_recipient_without_an_outcome(self):
		self.use_limits(messages_per_second=50)  # 500 recipients take 10 s
		targets = numbers(500, 2)
		log_name = capture_send(targets)
		worker = start_worker("long", burst=False)
		try:
			wait_until(lambda: len(self.gateway.requests) >= 200, what="200 requests at the gateway")
			self.assertTrue(frappe.cache.exists(bulk_send.heartbeat_name(log_name, 1)), "the job beats")
		finally:
			# the worker and the work horse it forked for the job (in a session of its own)
			for process in [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]:
				process.send_signal(signal.SIGKILL)
			worker.wait()
		wait_until(self.gateway_is_quiet, what="requests already on the wire")
		rows = committed_rows(log_name)
		first_open = next(row for row in rows if row.status == QUEUED)
		in_flight = [row.number for row in rows if row.status == SENDING]
		self.assertGreaterEqual(first_open.idx, 200)

		wait_until(
			lambda: not frappe.cache.exists(bulk_send.heartbeat_name(log_name, 1)),
			seconds=bulk_send.HEARTBEAT_TTL + 10,
			what="the dead job's heartbeat to expire",
		)
		frappe.db.commit()  # a fresh snapshot, as the scheduler's job has: the log came on another connection
		bulk_send.resume_stalled_sends()
		self.run_queued(log_name)

		rows = committed_rows(log_name)
		self.assertNotIn(QUEUED, {row.status for row in rows})
		self.assertNotIn(SENDING, {row.status for row in rows})
		received = self.gateway.received_numbers()
		self.assertEqual(max(Counter(received).values()), 1, "a number reached the gateway twice")
		resumed = [n for n in received if targets.index(n) >= first_open.idx - 1]
		self.assertEqual(
			sorted(resumed),
			targets[first_open.idx - 1 :],
			"the resumed run did not start at the first open row",
		)
		self.assertEqual(set(received) | set(in_flight), set(targets))
		for row in rows:
			if row.number in in_flight:
				self.assertEqual((row.status, row.error), (UNCONFIRMED, INTERRUPTED))
			else:
				self.assertEqual(row.status, SENT)

	def test_a_slow_chunk_is_left_to_its_job(self):
		"""Neither a wait in the queue nor a slow send (a low site rate) makes a chunk look dead, however
		long its rows show no progress: no second job takes its batch for an interrupted one."""
		self.use_limits(queue_threshold=10, messages_per_second=2)  # 80 recipients take 44 s
		targets = numbers(80, 7)
		log_name = capture_send(targets)
		(job,) = chunk_jobs(log_name)
		self.idle_for_an_hour(log_name)
		bulk_send.resume_stalled_sends()
		self.assertEqual(
			get_job(bulk_send.job_id(log_name, 1)).enqueued_at,
			job.enqueued_at,
			"the waiting job was replaced",
		)

		worker = start_worker("long", burst=False)
		self.addCleanup(worker.wait, timeout=60)
		self.addCleanup(worker.terminate)
		wait_until(lambda: len(self.gateway.requests) >= 5, what="the chunk's first requests")
		job.refresh()
		started = job.started_at
		wait_until(
			lambda: utcnow() - started > timedelta(seconds=bulk_send.HEARTBEAT_TTL + 2),
			what="the job to run longer than a heartbeat lasts",
		)
		self.idle_for_an_hour(log_name)
		bulk_send.resume_stalled_sends()
		job.refresh()
		self.assertEqual((job.get_status(), job.started_at), ("started", started), "the job was replaced")

		wait_until(lambda: committed_status(log_name) != QUEUED)
		self.assertEqual(committed_status(log_name), SENT)
		self.assertEqual({row.status for row in committed_rows(log_name)}, {SENT})
		self.assertEqual(Counter(self.gateway.received_numbers()), Counter(targets))

	def idle_for_an_hour(self, log_name: str):
		"""Make the log's rows look untouched for an hour; then a fresh snapshot, as the scheduler has."""
		with separate_connection():
			row = frappe.qb.DocType("SMS Log Recipient")
			frappe.qb.update(row).set(row.modified, add_to_date(now_datetime(), hours=-1)).where(
				row.parent == log_name
			).run()
		frappe.db.commit()

	def test_small_sends_stay_synchronous(self):
		targets = numbers(50, 4)
		log_name = capture_send(targets)
		self.assertEqual(committed_status(log_name), SENT)
		self.assertEqual([row.status for row in committed_rows(log_name)], [SENT] * 50)
		self.assertEqual(self.gateway.received_numbers(), targets)
		self.assertIsNone(get_job(bulk_send.job_id(log_name, 1)))


def capture_send(targets: list[str]) -> str:
	"""send_sms to `targets`; the name of the one log it wrote."""
	sms_settings.send_sms(targets, MESSAGE, "Bulk Tester", success_msg=False)
	with separate_connection():
		(log_name,) = frappe.get_all(
			"SMS Log", filters={"message": MESSAGE, "requested_numbers": "\n".join(targets)}, pluck="name"
		)
	return log_name


class TestRetriedWrites(FrappeTestCase):
	"""A claim or a record that MariaDB rolls back as a deadlock's victim, or whose lock wait times out,
	is run again; frappe.db.sql raises those around the driver's error."""

	def failing(self, error, times):
		calls = []

		def write():
			calls.append(error)
			if len(calls) <= times:
				raise error
			return "claimed"

		return write, calls

	def test_a_deadlock_victim_is_run_again(self):
		deadlock = frappe.QueryDeadlockError(pymysql.err.OperationalError(1213, "Deadlock found"))
		write, calls = self.failing(deadlock, times=2)
		self.assertEqual(bulk_send.retried(write), "claimed")
		self.assertEqual(len(calls), 3)

	def test_a_lock_wait_timeout_is_run_again(self):
		timeout = frappe.QueryTimeoutError(pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"))
		write, calls = self.failing(timeout, times=1)
		self.assertEqual(bulk_send.retried(write), "claimed")
		self.assertEqual(len(calls), 2)

	def test_other_errors_and_the_last_attempt_are_raised(self):
		write, calls = self.failing(frappe.ValidationError("not a lock"), times=1)
		self.assertRaises(frappe.ValidationError, bulk_send.retried, write)
		self.assertEqual(len(calls), 1)
		deadlock = frappe.QueryDeadlockError(pymysql.err.OperationalError(1213, "Deadlock found"))
		write, calls = self.failing(deadlock, times=9)
		self.assertRaises(frappe.QueryDeadlockError, bulk_send.retried, write, attempts=3)
		self.assertEqual(len(calls), 3)
