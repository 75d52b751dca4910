"""When SMS go out, through the real send path and real job workers: a promotional send needs its -AD
sender ID and is held outside the sending hours until the scheduler releases it; a send asked for
later is Scheduled; a Scheduled or Queued send can be cancelled, by its sender or a System Manager;
and a send past its validity is not sent late."""

from datetime import datetime, timedelta
from unittest.mock import patch

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.utils import add_to_date, now_datetime, today

from sms_log_app import bulk_send, scheduled_sends
from sms_log_app.log_writer import separate_connection
from sms_log_app.promotional_rules import (
	DEFAULTS,
	SENDER_ID_REFUSAL,
	PromotionalSenderRefused,
	store_defaults,
)
from sms_log_app.references import PROMOTIONAL, TRANSACTIONAL, message_class, send_after
from sms_log_app.scheduled_sends import NotCancellable, cancel_send, release_due_sends
from sms_log_app.send_times import next_opening
from sms_log_app.status import (
	CANCELLED,
	EXPIRED,
	NOT_SENT,
	PARTIALLY_SENT,
	QUEUED,
	SCHEDULED,
	SENT,
)
from sms_log_app.tests.utils import (
	GatewayTestCase,
	chunk_jobs,
	committed_logs,
	committed_rows,
	committed_sms_settings,
	committed_status,
	configure_sms_settings,
	delete_logs,
	make_user,
	numbers,
	run_jobs,
	set_limits,
	set_site_country,
	wait_until,
)

N1, N2 = "+966500000061", "+966500000062"
ALL_DAY = {"promotional_hours_start": "00:00", "promotional_hours_end": "00:00"}  # the same time: any hour
SENDER = "sender"  # the Custom gateway's sender ID parameter in these tests
OWNER = "sms-timing-owner@example.com"  # a Desk user who sends, and is no System Manager
OTHER = "sms-timing-other@example.com"


class TestSendTiming(GatewayTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		settings = committed_sms_settings(cls.gateway)
		settings.__enter__()
		cls.addClassCleanup(settings.__exit__, None, None, None)

	def setUp(self):
		self.gateway.behaviours.clear()
		self.gateway.requests.clear()
		configure_sms_settings(self.gateway, static={SENDER: "Dafater"})
		set_site_country()
		set_limits(gateway_timeout=2)
		frappe.db.commit()  # the workers read them
		self.message = f"Timing test {frappe.generate_hash(length=10)}"
		self.addCleanup(self.clean_up)

	def clean_up(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		set_limits()
		configure_sms_settings(self.gateway)
		frappe.db.delete("SMS Send Refusal", {"reason": SENDER_ID_REFUSAL})
		frappe.db.commit()
		delete_logs(message=self.message)

	def rules(self, **values):
		"""The promotional rules on, as on a Saudi site, committed for the workers."""
		set_limits(**{"gateway_timeout": 2, "promotional_rules": 1, "sender_parameter": SENDER, **values})
		frappe.db.commit()

	def send(self, to, cls=TRANSACTIONAL, **kwargs):
		with message_class(cls):
			sms_settings.send_sms(to, self.message, **kwargs)
		(log,) = committed_logs(message=self.message)
		return log

	def release_at(self, moment: datetime):
		"""The scheduler's job, at `moment`, in a transaction of its own (as a job starts one)."""
		frappe.db.commit()
		with patch.object(scheduled_sends, "clock", return_value=moment):
			release_due_sends()

	def cancel(self, log_name: str):
		"""Cancel, in a transaction of its own (as a request starts one): the log was committed on the
		log connection after this test's transaction began."""
		frappe.db.commit()
		cancel_send(log_name)

	def run_jobs_of(self, log_name: str):
		run_jobs(*chunk_jobs(log_name), queue="long")
		wait_until(lambda: committed_status(log_name) not in (QUEUED, SCHEDULED))

	def senders(self) -> list[str]:
		return [r["params"].get(SENDER) for r in self.gateway.requests]

	def test_the_rules_are_on_by_default_on_saudi_sites_only(self):
		fields = [*DEFAULTS, "promotional_rules"]
		for country, code, applied in (("United Arab Emirates", "ae", 0), ("Saudi Arabia", "sa", 1)):
			with self.subTest(country):
				frappe.db.sql(
					"delete from `tabSingles` where doctype = 'SMS Log Settings' and field in %(fields)s",
					{"fields": fields},
				)
				set_site_country(country, code)
				store_defaults()  # on install, by the patch, after the setup wizard
				settings = frappe.get_doc("SMS Log Settings")
				self.assertEqual(settings.promotional_rules, applied)
				self.assertEqual(
					(settings.promotional_hours_start, settings.promotional_hours_end), ("07:00", "22:00")
				)
				self.assertEqual((settings.promotional_validity, settings.otp_validity), (1440, 10))
		# what an administrator set is kept
		frappe.db.set_single_value("SMS Log Settings", "promotional_validity", 60)
		store_defaults()
		self.assertEqual(frappe.db.get_single_value("SMS Log Settings", "promotional_validity"), 60)

	def test_a_promotional_sender_id_without_ad_is_refused_before_anything_leaves(self):
		self.rules()
		with self.assertRaises(PromotionalSenderRefused) as refused:
			with message_class(PROMOTIONAL):
				sms_settings.send_sms([N1, N2], self.message)
		self.assertIn("-AD", str(refused.exception))
		self.assertIn("Dafater", str(refused.exception))
		self.assertEqual(committed_logs(message=self.message), [])
		self.assertEqual(self.gateway.requests, [])
		with separate_connection():
			refusal = frappe.get_all(
				"SMS Send Refusal", filters={"reason": SENDER_ID_REFUSAL}, fields=["user", "recipients"]
			)
		self.assertEqual([(r.user, r.recipients) for r in refusal], [("Administrator", 2)])
		# and the app cannot tell the sender where the Custom gateway's parameter is not named
		self.rules(sender_parameter=None, promotional_sender_id="Dafater-AD")
		with self.assertRaises(PromotionalSenderRefused) as refused:
			with message_class(PROMOTIONAL):
				sms_settings.send_sms([N1], self.message)
		self.assertIn("Sender Parameter", str(refused.exception))

	def test_the_promotional_sender_id_replaces_the_sender_for_promotional_sends_only(self):
		self.rules(
			promotional_sender_id="Dafater-AD", promotional_hours_start="00:00", promotional_hours_end="00:00"
		)
		log = self.send([N1], PROMOTIONAL)
		self.assertEqual(log.status, SENT)
		with message_class(TRANSACTIONAL):
			sms_settings.send_sms([N2], self.message)
		self.assertEqual(self.senders(), ["Dafater-AD", "Dafater"])

	def test_rules_off_promotional_sends_go_with_the_sender_as_it_is(self):
		log = self.send([N1], PROMOTIONAL)
		self.assertEqual(log.status, SENT)
		self.assertEqual(self.senders(), ["Dafater"])

	def test_promotional_send_outside_the_hours_is_held_and_released_when_they_open(self):
		# the hours are the two around now, since the jobs send on the real clock (and pause outside
		# them); the send is asked for at "night", three hours on, outside them
		now = now_datetime().replace(second=0, microsecond=0)
		opens, closes = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
		self.rules(
			promotional_sender_id="Dafater-AD",
			promotional_hours_start=f"{opens:%H:%M}",
			promotional_hours_end=f"{closes:%H:%M}",
		)
		night = now + timedelta(hours=3)
		opening = next_opening(night, opens, closes)
		self.assertGreater(opening, night)
		with patch.object(scheduled_sends, "clock", return_value=night):
			log = self.send([N1, N2], PROMOTIONAL)

		self.assertEqual(log.status, SCHEDULED)
		self.assertEqual(log.scheduled_for, opening)
		self.assertEqual([r.status for r in log.recipients], [QUEUED, QUEUED])
		self.assertEqual(self.gateway.requests, [], "nothing leaves while it is held")

		self.release_at(opening - timedelta(minutes=1))
		self.assertEqual(committed_status(log.name), SCHEDULED)
		self.release_at(opening)
		self.assertEqual(committed_status(log.name), QUEUED)
		self.release_at(opening)  # a second scheduler finds nothing left to release
		self.assertEqual(len(chunk_jobs(log.name)), 1)

		self.run_jobs_of(log.name)
		self.assertEqual(committed_status(log.name), SENT)
		self.assertEqual(sorted(self.gateway.received_numbers()), [N1, N2])
		self.assertEqual(self.senders(), ["Dafater-AD", "Dafater-AD"])

	def test_a_promotional_bulk_send_pauses_when_the_hours_close_and_goes_on_when_they_open(self):
		now = now_datetime()
		closed = {
			"promotional_hours_start": (now + timedelta(hours=2)).strftime("%H:%M"),
			"promotional_hours_end": (now + timedelta(hours=3)).strftime("%H:%M"),
		}
		self.rules(promotional_sender_id="Dafater-AD", queue_threshold=2, recipients_per_job=2, **ALL_DAY)
		log = self.send(numbers(6, 64), PROMOTIONAL)
		frappe.db.commit()
		bulk_send.send_chunk(log.name, 1, 2)  # the first chunk's job has sent its batch

		self.rules(promotional_sender_id="Dafater-AD", queue_threshold=2, recipients_per_job=2, **closed)
		run_jobs(*chunk_jobs(log.name), queue="long")  # the others find the hours closed
		self.assertEqual(committed_status(log.name), SCHEDULED)
		self.assertEqual(
			sorted(self.gateway.received_numbers()), numbers(6, 64)[:2], "no batch after the close"
		)
		(paused,) = committed_logs(message=self.message)
		self.assertEqual([r.status for r in paused.recipients], [SENT] * 2 + [QUEUED] * 4)
		self.assertIn("sending hours of promotional SMS closed", paused.send_notes)
		self.release_at(now_datetime())  # due, but the hours are closed
		self.assertEqual(committed_status(log.name), SCHEDULED)

		self.rules(promotional_sender_id="Dafater-AD", queue_threshold=2, recipients_per_job=2, **ALL_DAY)
		self.release_at(now_datetime())
		self.run_jobs_of(log.name)
		self.assertEqual(committed_status(log.name), SENT)
		self.assertEqual(sorted(self.gateway.received_numbers()), numbers(6, 64), "each number once")

	def test_transactional_sends_are_never_held(self):
		self.rules(promotional_sender_id="Dafater-AD")
		night = now_datetime().replace(hour=23)
		with patch.object(scheduled_sends, "clock", return_value=night):
			log = self.send([N1], TRANSACTIONAL)
		self.assertEqual((log.status, log.scheduled_for), (SENT, None))

	def test_a_send_asked_for_later_is_scheduled_and_sent_then(self):
		later = add_to_date(now_datetime(), hours=2).replace(microsecond=0)
		with send_after(later):
			log = self.send([N1])
		self.assertEqual((log.status, log.scheduled_for), (SCHEDULED, later))
		self.assertEqual(self.gateway.requests, [])
		self.release_at(later)
		self.run_jobs_of(log.name)
		self.assertEqual(committed_status(log.name), SENT)

	def test_send_after_as_send_sms_argument_and_a_time_in_the_past_sends_now(self):
		later = add_to_date(now_datetime(), hours=1).replace(microsecond=0)
		with message_class(TRANSACTIONAL):
			sms_settings.send_sms([N1], self.message, send_after=str(later))
		with send_after(add_to_date(now_datetime(), minutes=-5)):
			sms_settings.send_sms([N2], self.message)
		scheduled, sent = committed_logs(message=self.message)
		self.assertEqual((scheduled.status, scheduled.scheduled_for), (SCHEDULED, later))
		self.assertEqual((sent.status, sent.scheduled_for), (SENT, None))
		self.assertEqual(self.gateway.received_numbers(), [N2])

	def test_a_scheduled_send_cancelled_never_goes_and_counts_as_cancelled(self):
		later = add_to_date(now_datetime(), hours=2)
		before = self.totals()
		with send_after(later):
			log = self.send([N1, N2])
		self.assertEqual(self.totals()[SCHEDULED], before[SCHEDULED] + 1)

		self.cancel(log.name)

		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, CANCELLED)
		self.assertEqual(log.cancelled_by, "Administrator")
		self.assertTrue(log.cancelled_at)
		self.assertEqual([r.status for r in log.recipients], [CANCELLED, CANCELLED])
		self.assertIn("Cancelled by Administrator", log.recipients[0].error)
		self.assertEqual(self.totals()[SCHEDULED], before[SCHEDULED])
		self.assertEqual(self.totals()[CANCELLED], before[CANCELLED] + 1)
		self.release_at(later)
		self.assertEqual(committed_status(log.name), CANCELLED)
		self.assertEqual(self.gateway.requests, [])
		with self.assertRaises(NotCancellable):
			self.cancel(log.name)

	def totals(self) -> dict:
		"""Today's logs of this test's sender, by status, as the summary report reads them."""
		with separate_connection():
			rows = frappe.get_all(
				"SMS Log Daily Total",
				filters={"sent_on": today(), "status": ("in", (SCHEDULED, CANCELLED))},
				fields=["status", "sum(logs) as logs"],
				group_by="status",
			)
		return {SCHEDULED: 0, CANCELLED: 0} | {r.status: r.logs for r in rows}

	def test_who_may_cancel(self):
		for email in (OWNER, OTHER):
			make_user(email, ["Blogger"])
		frappe.db.commit()
		self.addCleanup(self.delete_users)
		frappe.set_user(OWNER)
		with send_after(add_to_date(now_datetime(), hours=2)):
			sms_settings.send_sms([N1], self.message)
		frappe.set_user("Administrator")
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.owner, OWNER)
		frappe.set_user(OTHER)
		with self.assertRaises(frappe.PermissionError):
			self.cancel(log.name)
		self.assertEqual(committed_status(log.name), SCHEDULED)
		frappe.set_user(OWNER)
		self.cancel(log.name)
		self.assertEqual(committed_status(log.name), CANCELLED)
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[cancel_send], ["POST"])

	def delete_users(self):
		frappe.set_user("Administrator")
		for email in (OWNER, OTHER):
			frappe.delete_doc("User", email, force=True)
		frappe.db.commit()

	def test_a_queued_bulk_send_cancelled_before_its_jobs_run(self):
		set_limits(gateway_timeout=2, queue_threshold=2)
		frappe.db.commit()
		log = self.send(numbers(4, 61))
		self.assertEqual(log.status, QUEUED)
		self.cancel(log.name)
		self.run_jobs_of(log.name)
		self.assertEqual(committed_status(log.name), CANCELLED)
		self.assertEqual(self.gateway.requests, [])

	def test_a_running_bulk_send_cancelled_starts_no_new_batch(self):
		set_limits(gateway_timeout=2, queue_threshold=2, recipients_per_job=2)
		frappe.db.commit()
		log = self.send(numbers(6, 62))
		frappe.db.commit()
		bulk_send.send_chunk(log.name, 1, 2)  # the first chunk's job has sent its batch
		self.cancel(log.name)
		self.run_jobs_of(log.name)  # the other chunks' jobs claim nothing

		self.assertEqual(committed_status(log.name), PARTIALLY_SENT)
		self.assertEqual([r.status for r in committed_rows(log.name)], [SENT, SENT, *[CANCELLED] * 4])
		self.assertEqual(sorted(self.gateway.received_numbers()), numbers(6, 62)[:2])
		(log,) = committed_logs(message=self.message)
		self.assertEqual((log.noofsent_sms, log.cancelled_by), (2, "Administrator"))

	def test_a_held_send_past_its_validity_expires_instead_of_going_late(self):
		self.rules(promotional_sender_id="Dafater-AD", promotional_validity=60, **ALL_DAY)
		with send_after(add_to_date(now_datetime(), hours=1)):
			log = self.send([N1, N2], PROMOTIONAL)
		# the scheduler was down: the send was due two hours ago, and is valid for one
		with separate_connection():
			frappe.db.set_value("SMS Log", log.name, "scheduled_for", add_to_date(now_datetime(), hours=-2))
		self.release_at(now_datetime())
		self.run_jobs_of(log.name)

		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, NOT_SENT)
		self.assertEqual([r.status for r in log.recipients], [EXPIRED, EXPIRED])
		self.assertIn("validity", log.recipients[0].error)
		self.assertEqual(self.gateway.requests, [])

	def test_a_queued_send_past_its_validity_expires_at_its_claim(self):
		set_limits(gateway_timeout=2, queue_threshold=2, transactional_validity=5)
		frappe.db.commit()
		log = self.send(numbers(3, 63))
		# its jobs did not run for ten minutes
		with separate_connection():
			frappe.db.set_value("SMS Log", log.name, "sent_at", add_to_date(now_datetime(), minutes=-10))
		self.run_jobs_of(log.name)
		self.assertEqual([r.status for r in committed_rows(log.name)], [EXPIRED] * 3)
		self.assertEqual(committed_status(log.name), NOT_SENT)
		self.assertEqual(self.gateway.requests, [])
