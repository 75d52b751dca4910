# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Many processes send at once: parallel HTTP requests to a site served by several gunicorn workers,
and background jobs run by two job workers at the same time. Every call leaves exactly one SMS Log."""

import json
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack

import frappe
from rq.job import JobStatus

from sms_log_app.log_writer import separate_connection
from sms_log_app.tests.utils import (
	GatewayTestCase,
	api_token,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	make_user,
	served_site,
	start_worker,
)

SEND_SMS = "frappe.core.doctype.sms_settings.sms_settings.send_sms"
USER = "sms-log-concurrency@example.com"
MESSAGE_PREFIX = "Concurrency test"
HTTP_CALLS, HTTP_THREADS, GUNICORN_WORKERS = 40, 8, 3
JOBS, JOB_WORKERS = 10, 2
HANG_GUARD = 120  # seconds for the whole burst; only a hung request or worker comes near it
LOST_LOG = "SMS Log could not be written"  # the Error Log title of log_writer._report_lost


def remaining(deadline: float) -> float:
	return deadline - time.monotonic()


def lost_log_errors() -> set[str]:
	with separate_connection():
		return set(frappe.get_all("Error Log", filters={"method": LOST_LOG}, pluck="name"))


class TestConcurrentSends(GatewayTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(USER, ["System Manager"])
		cls.auth = api_token(USER)
		cls.addClassCleanup(cls.remove_test_data)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the user too
		cls.client = resources.enter_context(served_site(workers=GUNICORN_WORKERS))

	@classmethod
	def remove_test_data(cls):
		delete_logs(message=("like", f"{MESSAGE_PREFIX} %"))
		frappe.delete_doc("User", USER, force=True)
		frappe.db.commit()

	def test_parallel_requests_and_jobs_leave_one_log_each(self):
		run = frappe.generate_hash(length=10)
		calls = {}  # message: (how it is sent, recipients)
		for k in range(HTTP_CALLS + JOBS):
			how = "http" if k < HTTP_CALLS else "job"
			numbers = [f"+96650{k:04d}{j:03d}" for j in range(k % 3 + 1)]
			calls[f"{MESSAGE_PREFIX} {run} {how} {k}"] = (how, numbers)
		errors_before = lost_log_errors()

		jobs = [
			frappe.enqueue(SEND_SMS, queue="short", receiver_list=numbers, msg=message)
			for message, (how, numbers) in calls.items()
			if how == "job"
		]
		deadline = time.monotonic() + HANG_GUARD
		workers = [start_worker("short") for _ in range(JOB_WORKERS)]
		for worker in workers:
			self.addCleanup(worker.kill)
		# a worker takes seconds to start: send over HTTP only once the jobs are being run
		while all(job.get_status() == JobStatus.QUEUED for job in jobs) and any(
			w.poll() is None for w in workers
		):
			self.assertGreater(remaining(deadline), 0, "The job workers did not start")
			time.sleep(0.1)
		pool = ThreadPoolExecutor(HTTP_THREADS)
		http_calls = {
			pool.submit(self.send, numbers, message): message
			for message, (how, numbers) in calls.items()
			if how == "http"
		}
		_, pending = wait(http_calls, timeout=remaining(deadline))
		pool.shutdown(wait=False, cancel_futures=True)
		self.assertFalse(pending, f"{len(pending)} HTTP requests did not finish: a deadlock?")
		for worker in workers:
			try:
				worker.wait(timeout=max(remaining(deadline), 1))
			except subprocess.TimeoutExpired:
				self.fail("A job worker did not finish its jobs: a deadlock?")
			self.assertEqual(worker.returncode, 0)

		for call, message in http_calls.items():
			response = call.result()
			self.assertEqual(response.status_code, 200, f"{message}: {response.text[:300]}")

		logs = committed_logs(message=("like", f"{MESSAGE_PREFIX} {run} %"))
		self.assertEqual(Counter(log.message for log in logs), Counter(list(calls)), "one SMS Log per call")
		self.assertEqual(len({log.name for log in logs}), len(logs), "unique names")
		sender = {"http": frappe.utils.get_fullname(USER), "job": "Background Job"}
		for log in logs:
			how, numbers = calls[log.message]
			with self.subTest(log=log.name, message=log.message):
				self.assertEqual([r.number for r in log.recipients], numbers)
				self.assertEqual([r.idx for r in log.recipients], list(range(1, len(numbers) + 1)))
				self.assertEqual((log.noofrequested_sms, log.noofsent_sms), (len(numbers), len(numbers)))
				self.assertEqual((log.status, log.sender_name), ("Sent", sender[how]))
		sent = sorted(number for _, numbers in calls.values() for number in numbers)
		self.assertEqual(sorted(self.gateway.received_numbers()), sent, "each recipient tried once")
		self.assertEqual(lost_log_errors() - errors_before, set())

	def send(self, numbers, message):
		return self.client.request(
			"POST",
			f"/api/method/{SEND_SMS}",
			headers=self.auth,
			data={"receiver_list": json.dumps(numbers), "msg": message},
		)
