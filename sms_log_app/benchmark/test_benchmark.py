# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import re

import frappe
from frappe.tests.utils import FrappeTestCase

from sms_log_app.benchmark import measure, runner, seed
from sms_log_app.numbers import to_e164


class TestBenchmark(FrappeTestCase):
	"""The benchmark's entry points run, on a few hundred logs; timings are not asserted."""

	def setUp(self):
		self.addCleanup(self.assert_cleared)
		self.addCleanup(seed.clear)

	def assert_cleared(self):
		self.assertEqual(seeded_logs(), 0)

	def test_seed_is_realistic_and_replaces_itself(self):
		seed.seed(logs=300, days=30)
		result = seed.seed(logs=300, days=30)

		self.assertEqual(seeded_logs(), 300)
		recipients = frappe.get_all(
			"SMS Log Recipient",
			filters={"parent": ("like", "SMS-%"), "name": ("like", "sb%")},
			fields=["parent", "number", "normalized_number"],
		)
		self.assertEqual(len(recipients), result["recipients"])
		for row in recipients[:200]:
			self.assertRegex(row.parent, r"^SMS-\d{4}-\d{2}-\d{2}-\d{5}$")
			self.assertEqual(row.normalized_number, to_e164(row.number, "SA"))
		statuses = set(
			frappe.get_all("SMS Log", {"sender_name": ("like", f"{seed.SENDER_PREFIX}%")}, pluck="status")
		)
		self.assertLessEqual(statuses, {"Sent", "Partially Sent", "Failed"})
		messages = frappe.get_all(
			"SMS Log", {"sender_name": ("like", f"{seed.SENDER_PREFIX}%")}, pluck="message"
		)
		self.assertTrue(any(re.search("[\u0600-\u06ff]", m) for m in messages))

	def test_measurements_run_and_print(self):
		seeded = seed.seed(logs=300, days=30)
		with measure.local_gateway() as gateway:
			figures = (
				measure.log_write(runs=1)
				+ measure.capture_overhead(1, runs=1, gateway=gateway)
				+ measure.capture_overhead(2, runs=1, gateway=gateway, delay=0.05)
				+ measure.bulk_log_write(10, runs=1)
				+ measure.queued_send_throughput(50)
				+ measure.queued_send_slow_gateway(40, gateway, delay=0.01)
				+ measure.queued_send_on_workers(40, gateway, delay=0.01, parallel=2)
				+ measure.rate_limit_on_workers(40, 20, gateway)
			)
		figures += measure.lookup_by_number(seeded["busiest_number"], runs=2, like_runs=1)
		figures += measure.list_first_page("Failed", runs=2)
		figures += measure.delivery_summary(30, runs=1) + measure.delivery_summary(365, runs=1)
		figures += measure.timeline_on_form(seeded["busiest_number"], runs=2)
		figures += measure.opt_out_check(recipients=60, opted_out=6, stored=100, runs=1)
		figures += measure.opt_out_page(stored=100, runs=2)

		for figure in figures:
			if isinstance(figure, measure.Figure):
				self.assertTrue(figure.samples, figure.label)
		table = runner.table(figures)
		self.assertIn("| write-ahead log / stock create_sms_log", table)
		self.assertIn("| write-ahead log / floor", table)
		self.assertIn("| capture overhead, 1 recipient, an instant stub", table)
		self.assertIn("| capture overhead, 2 recipients, a stub answering in 50 ms", table)
		self.assertIn("| queued send throughput / deliver alone", table)
		self.assertIn("| queued send throughput, 2 workers / 1", table)
		self.assertIn("| rate limit 20/s, 2 workers", table)
		self.assertIn("| lookup speed-up", table)
		self.assertIn("| delivery summary, 30 days", table)
		self.assertIn("| delivery summary, 365 days", table)
		self.assertIn("| SMS timeline added to getdoc", table)
		self.assertIn("| opt-out check / the send's time", table)
		self.assertIn("| opt-out page over HTTP (p95)", table)
		self.assertEqual(frappe.db.count("SMS Opt-Out", {"source": "Import", "name": ("like", "+96655%")}), 0)


def seeded_logs() -> int:
	return frappe.db.count("SMS Log", {"sender_name": ("like", f"{seed.SENDER_PREFIX}%")})
