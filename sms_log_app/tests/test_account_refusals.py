"""Account-level refusals stop the send, through the real send path against the Msegat stub: no
further request, the rest recorded not sent with the reason, a bulk send's every chunk stopped (real
workers), one Notification Log per cause per hour for System Managers, and the cause kept for the
workspace until a send succeeds again."""

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import account_refusals
from sms_log_app.log_writer import separate_connection
from sms_log_app.providers import reasons
from sms_log_app.status import FAILED, QUEUED, SENT
from sms_log_app.tests.utils import (
	ProviderTestCase,
	chunk_jobs,
	committed_logs,
	committed_rows,
	committed_status,
	delete_logs,
	numbers,
	run_jobs,
	set_limits,
	set_site_country,
	wait_until,
)

BALANCE_ERROR = f"{reasons.BALANCE} (Msegat 1060: Balance is not enough)"


def notifications(log_name: str) -> list:
	with separate_connection():
		return frappe.get_all(
			"Notification Log",
			filters={"document_type": "SMS Log", "document_name": log_name},
			fields=["for_user", "subject", "email_content"],
		)


def committed_cause() -> dict | None:
	with separate_connection():
		return account_refusals.current_cause()


class TestAccountRefusals(ProviderTestCase):
	provider = "Msegat"

	def setUp(self):
		self.stub.reset()
		set_site_country()
		self.message = f"Account refusal test {frappe.generate_hash(length=10)}"
		self.addCleanup(self.remove_test_data)
		for reason in reasons.ACCOUNT:
			frappe.cache.delete_value(f"sms_log_app:account_refusal_notified:{reason}")
		frappe.db.delete("DefaultValue", {"parent": "__default", "defkey": account_refusals.CAUSE})
		frappe.db.commit()

	def remove_test_data(self):
		frappe.db.rollback()
		with separate_connection():
			names = frappe.get_all("SMS Log", filters={"message": ("like", f"{self.message}%")}, pluck="name")
			frappe.db.delete(
				"Notification Log", {"document_type": "SMS Log", "document_name": ("in", names or [""])}
			)
		delete_logs(message=("like", f"{self.message}%"))
		set_limits(numbers_per_request=0)  # not among the limits set_limits restores
		frappe.db.commit()

	def send(self, targets, message=None):
		sms_settings.send_sms(targets, message or self.message, success_msg=False)
		(log,) = committed_logs(message=message or self.message)
		return log

	def test_an_empty_balance_stops_the_send(self):
		set_limits(numbers_per_request=1)
		self.stub.failure = "balance"
		log = self.send(numbers(3, 7))
		self.assertEqual(len(self.stub.requests), 1, "no request after the refusal")
		self.assertEqual(log.status, FAILED)
		first, *rest = log.recipients
		self.assertEqual((first.status, first.error), (FAILED, BALANCE_ERROR))
		for row in rest:
			self.assertEqual((row.status, row.error), (FAILED, f"Not sent: {BALANCE_ERROR}"))

	def test_system_managers_are_told_once_an_hour_and_the_cause_stays_until_a_send_succeeds(self):
		self.stub.failure = "credentials"
		log = self.send(numbers(2, 7))
		(told,) = [n for n in notifications(log.name) if n.for_user == "Administrator"]
		self.assertIn(reasons.CREDENTIALS, told.subject)
		self.assertIn("Msegat M0002: Invalid login info", told.email_content)
		self.assertEqual(committed_cause()["log"], log.name)

		again = self.send(numbers(1, 7), f"{self.message} again")
		self.assertEqual(notifications(again.name), [], "one notification per cause per hour")
		self.assertEqual(committed_cause()["log"], again.name)

		self.stub.failure = None
		self.assertEqual(self.send(numbers(1, 7), f"{self.message} after").status, SENT)
		self.assertIsNone(committed_cause())

	def test_a_bulk_send_stops_in_every_chunk(self):
		set_limits(queue_threshold=5, recipients_per_job=10, parallel_requests=2, numbers_per_request=2)
		frappe.db.commit()
		self.stub.failure = "balance"
		log_name = self.queued_send(numbers(40, 8))
		jobs = chunk_jobs(log_name)
		run_jobs(*jobs, queue="long")
		wait_until(lambda: committed_status(log_name) != QUEUED)

		self.assertLessEqual(len(self.stub.requests), 2, "at most the requests already in flight")
		rows = committed_rows(log_name)
		self.assertEqual({row.status for row in rows}, {FAILED})
		refused = sum(len(r["numbers"]) for r in self.stub.requests)
		self.assertEqual(sum(row.error == BALANCE_ERROR for row in rows), refused)
		self.assertTrue(all(reasons.BALANCE in row.error for row in rows))
		self.assertEqual(committed_status(log_name), FAILED)

	def queued_send(self, targets) -> str:
		sms_settings.send_sms(targets, self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, QUEUED)
		return log.name
