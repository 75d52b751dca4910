# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Bulk sends: above the queue threshold the caller gets a Queued log at once and a real worker
process sends the rest, resumes after being killed without sending a number twice, and keeps the
gateway's rate limit. Small sends stay synchronous."""

import os
import signal
import subprocess
import time
from collections import Counter

import frappe
import psutil
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_job

from sms_log_app import bulk_send
from sms_log_app.log_writer import separate_connection
from sms_log_app.recovery import INTERRUPTED
from sms_log_app.status import QUEUED, SENDING, SENT, UNCONFIRMED
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.utils import bench_command, committed_sms_settings, delete_logs, run_jobs, set_limits

MESSAGE = "Bulk send test"
WAIT = 120  # seconds a queued send may take before the test gives up


def numbers(count: int, prefix: int) -> list[str]:
	return [f"+9665{prefix}{n:07d}" for n in range(1, count + 1)]


def committed_rows(log_name: str) -> list:
	with separate_connection():
		return frappe.get_all(
			"SMS Log Recipient",
			filters={"parenttype": "SMS Log", "parent": log_name},
			fields=["idx", "number", "status", "error"],
			order_by="idx asc",
		)


def committed_status(log_name: str) -> str:
	with separate_connection():
		return frappe.db.get_value("SMS Log", log_name, "status")


def wait_until(condition, seconds=WAIT, what="the queued send"):
	deadline = time.monotonic() + seconds
	while not condition():
		if time.monotonic() > deadline:
			raise TimeoutError(f"Waited {seconds} s for {what}")
		time.sleep(0.2)


class TestBulkSend(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
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
		run_jobs(get_job(bulk_send.job_id(log_name)), queue="long")
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

	def test_a_killed_worker_resumes_at_the_first_recipient_without_an_outcome(self):
		self.use_limits(messages_per_second=50)  # 500 recipients take 10 s
		targets = numbers(500, 2)
		log_name = capture_send(targets)
		worker = subprocess.Popen(
			bench_command("worker", "--queue", "long"),
			cwd=os.path.abspath(frappe.local.sites_path),
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		try:
			wait_until(lambda: len(self.gateway.requests) >= 200, what="200 requests at the gateway")
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

		frappe.db.commit()  # a fresh snapshot, as the scheduler's job has: the log came on another connection
		bulk_send.resume_stalled_sends(stalled_after=0)
		self.run_queued(log_name)

		rows = committed_rows(log_name)
		self.assertNotIn(QUEUED, {row.status for row in rows})
		self.assertNotIn(SENDING, {row.status for row in rows})
		received = self.gateway.received_numbers()
		self.assertEqual(max(Counter(received).values()), 1, "a number reached the gateway twice")
		resumed = [n for n in received if targets.index(n) >= first_open.idx - 1]
		self.assertEqual(
			resumed, targets[first_open.idx - 1 :], "the resumed run did not start at the first open row"
		)
		self.assertEqual(set(received) | set(in_flight), set(targets))
		for row in rows:
			if row.number in in_flight:
				self.assertEqual((row.status, row.error), (UNCONFIRMED, INTERRUPTED))
			else:
				self.assertEqual(row.status, SENT)

	def test_the_gateway_rate_limit_holds(self):
		self.use_limits(queue_threshold=10, messages_per_second=10)
		log_name = capture_send(numbers(30, 3))
		self.run_queued(log_name)

		times = [r["received_at"] for r in self.gateway.requests]
		self.assertEqual(len(times), 30)
		self.assertGreaterEqual(times[-1] - times[0], 2.5)
		busiest_second = max(sum(start <= t < start + 1 for t in times) for start in times)
		self.assertLessEqual(busiest_second, 11)

	def test_small_sends_stay_synchronous(self):
		targets = numbers(50, 4)
		log_name = capture_send(targets)
		self.assertEqual(committed_status(log_name), SENT)
		self.assertEqual([row.status for row in committed_rows(log_name)], [SENT] * 50)
		self.assertEqual(self.gateway.received_numbers(), targets)
		self.assertIsNone(get_job(bulk_send.job_id(log_name)))


def capture_send(targets: list[str]) -> str:
	"""send_sms to `targets`; the name of the one log it wrote."""
	sms_settings.send_sms(targets, MESSAGE, "Bulk Tester", success_msg=False)
	with separate_connection():
		(log_name,) = frappe.get_all(
			"SMS Log", filters={"message": MESSAGE, "requested_numbers": "\n".join(targets)}, pluck="name"
		)
	return log_name
