"""Opt-outs and duplicates through the real send path: promotional sends skip opted-out numbers with
a row Opted Out (sync and bulk), transactional ones only where SMS Log Settings say so, the same
message to the same number within the duplicate window is skipped with a row Duplicate, the opt-out
link is personal, and opt-outs are imported, removed with a reason and shown on timelines."""

from unittest.mock import patch

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, now_datetime

from sms_log_app import opt_out_link, opt_outs, recipient_rules, scheduled_sends
from sms_log_app.log_writer import separate_connection
from sms_log_app.providers import reasons
from sms_log_app.references import message_class, send_after
from sms_log_app.scheduled_sends import release_due_sends
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import DUPLICATE, NOT_SENT, OPTED_OUT, QUEUED, SCHEDULED, SENT
from sms_log_app.tests.utils import (
	ProviderTestCase,
	SMSLogTestCase,
	chunk_jobs,
	committed_logs,
	committed_rows,
	committed_sms_settings,
	committed_status,
	delete_logs,
	delete_opt_out,
	run_jobs,
	set_limits,
	wait_until,
)
from sms_log_app.timeline import timeline_entries

N1, N2, N3 = "+966500000031", "+966500000032", "+966500000033"


def committed_opt_out(test, number: str, source=opt_outs.DESK) -> str:
	"""An opt-out committed on the log connection (where sends decide), deleted after the test."""
	with separate_connection():
		e164 = opt_outs.record(number, source)
	test.addCleanup(delete_opt_out, e164)
	return e164


def delete_committed(doctype: str, name: str):
	with separate_connection():
		frappe.delete_doc(doctype, name, force=True)


def rows_by_number(log_name: str) -> dict:
	return {row.number: row for row in committed_rows(log_name)}


class TestOptOuts(SMSLogTestCase):
	def promotional(self, numbers, message=None):
		with message_class("Promotional"):
			return self.send(numbers, message)

	def test_a_promotional_send_skips_opted_out_numbers_with_their_rows(self):
		committed_opt_out(self, "0500000032")  # a national spelling, kept in E.164
		self.promotional([N1, N2, N3])
		log = self.the_log()
		rows = rows_by_number(log.name)
		self.assertEqual(rows[N2].status, OPTED_OUT)
		self.assertIn("opted out of promotional SMS", rows[N2].error)
		self.assertEqual((rows[N1].status, rows[N3].status), (SENT, SENT))
		self.assertEqual(self.gateway.received_numbers(), [N1, N3], "never sent an Opted Out row")
		self.assertEqual(
			(log.status, log.noofsent_sms, log.noofskipped_sms, log.noofrequested_sms), (SENT, 2, 1, 3)
		)

	def test_transactional_sends_are_unaffected_unless_the_settings_say_so(self):
		committed_opt_out(self, N2)
		self.send([N1, N2])
		self.assertEqual(self.gateway.received_numbers(), [N1, N2])
		set_limits(opt_outs_apply_to_transactional=1)
		self.send([N1, N2], f"{self.message} again")
		self.assertEqual(rows_by_number(self.the_log(f"{self.message} again").name)[N2].status, OPTED_OUT)
		self.assertEqual(self.gateway.received_numbers(), [N1, N2, N1])

	def test_a_send_with_every_number_opted_out_is_not_sent(self):
		committed_opt_out(self, N1)
		committed_opt_out(self, N2)
		self.promotional([N1, N2])
		log = self.the_log()
		self.assertEqual(log.status, NOT_SENT)
		self.assertEqual([row.status for row in committed_rows(log.name)], [OPTED_OUT, OPTED_OUT])
		self.assertEqual(self.gateway.requests, [])

	def test_a_removed_opt_out_no_longer_applies_and_is_kept_with_its_reason(self):
		number = committed_opt_out(self, N2)
		with self.assertRaises(opt_outs.RemovalWithoutReason), separate_connection():
			opt_outs.remove(number, " ")
		with separate_connection():
			opt_outs.remove(number, "Asked again by phone")
		self.promotional([N2])
		self.assertEqual(self.gateway.received_numbers(), [N2])
		with separate_connection():
			kept = frappe.get_doc("SMS Opt-Out", number)
		self.assertEqual(
			(kept.removed, kept.removed_by, kept.removal_reason), (1, "Administrator", "Asked again by phone")
		)
		with separate_connection():
			opt_outs.record(N2, opt_outs.LINK)  # opts out again
		self.promotional([N2], f"{self.message} later")
		self.assertEqual(rows_by_number(self.the_log(f"{self.message} later").name)[N2].status, OPTED_OUT)

	def test_a_customers_timeline_shows_the_opt_out(self):
		if not frappe.db.exists("DocType", "Customer"):
			self.skipTest("Customer comes with ERPNext")
		committed_opt_out(self, N3)
		with separate_connection():  # committed, as the timeline reads them
			customer = frappe.get_doc(
				{"doctype": "Customer", "customer_name": self.message, "mobile_no": N3}
			).insert()
		self.addCleanup(delete_committed, "Customer", customer.name)
		with separate_connection():
			contents = [e["content"] for e in timeline_entries("Customer", customer.name)]
		self.assertTrue(any("opted out of promotional SMS" in c and N3 in c for c in contents), contents)

	def test_a_bad_number_is_refused_clearly(self):
		with self.assertRaisesRegex(opt_outs.InvalidOptOutNumber, "not a mobile number"):
			frappe.get_doc({"doctype": "SMS Opt-Out", "number": "call me"}).insert()

	def test_one_query_per_rule_whatever_the_number_of_recipients(self):
		committed_opt_out(self, N2)
		set_limits(duplicate_window=10)
		numbers = [f"+9665010{n:05d}" for n in range(300)] + [N2]
		get_settings()  # read in this transaction, as a send reads them before its log is written
		with separate_connection():
			queries = []
			frappe.db.sql = counting(frappe.db.sql, queries)
			try:
				skipped = recipient_rules.skipped(numbers, self.message, "Promotional")
			finally:
				del frappe.db.sql
		self.assertEqual(list(skipped), [300])
		self.assertEqual(skipped[300][0], OPTED_OUT)
		self.assertEqual(sum("tabSMS Opt-Out" in q for q in queries), 1)
		self.assertEqual(sum("tabSMS Log Recipient" in q for q in queries), 1)

	def test_the_same_message_within_the_duplicate_window_is_skipped(self):
		self.send([N1, N2])
		first = self.the_log()
		self.send([N2, N3])  # window 0: off
		self.assertEqual(self.gateway.received_numbers(), [N1, N2, N2, N3])
		set_limits(duplicate_window=10)
		self.send([N2, N3, N1], f"{self.message} other")  # another message is no duplicate
		self.gateway.requests.clear()
		self.send([N1, N3])
		self.assertEqual(self.gateway.received_numbers(), [])
		log = committed_logs(message=self.message)[-1]
		rows = rows_by_number(log.name)
		self.assertEqual((rows[N1].status, rows[N3].status), (DUPLICATE, DUPLICATE))
		self.assertIn(first.name, rows[N1].error)
		self.assertEqual(log.status, NOT_SENT)

	def test_an_opt_out_link_is_personal_and_the_log_keeps_the_placeholder(self):
		message = f"{self.message} Stop: {opt_out_link.PLACEHOLDER}"
		self.promotional([N1, N2], message)
		texts = {r["params"]["to"]: r["params"]["text"] for r in self.gateway.requests}
		self.assertEqual(texts[N1], message.replace(opt_out_link.PLACEHOLDER, opt_out_link.link(N1)))
		self.assertEqual(texts[N2], message.replace(opt_out_link.PLACEHOLDER, opt_out_link.link(N2)))
		self.assertEqual(self.the_log(message).message, message)

	def test_the_link_counts_in_the_message_parts(self):
		message = "x" * 130 + opt_out_link.PLACEHOLDER  # 144 characters as typed, more than 160 as sent
		self.promotional([N1], f"{self.message} {message}")
		self.assertEqual(self.the_log(f"{self.message} {message}").segments, 2)

	def test_the_timeline_shows_when_the_number_opted_out_and_its_removal(self):
		number = committed_opt_out(self, N1)
		with separate_connection():  # committed, as the timeline reads them
			contact = frappe.get_doc(self.contact("Opted", N1)).insert()
			opt_outs.remove(number, "<b>wrong</b> <img src=x onerror=window.__sms_xss=1>")
		self.addCleanup(delete_committed, "Contact", contact.name)
		with separate_connection():
			contents = [e["content"] for e in timeline_entries("Contact", contact.name)]
		self.assertTrue(any("opted out of promotional SMS" in c and N1 in c for c in contents))
		(removal,) = [c for c in contents if "was removed" in c]
		self.assertIn("&lt;b&gt;wrong&lt;/b&gt;", removal)
		self.assertNotIn("<img", removal)


class TestOptOutImport(FrappeTestCase):
	def test_numbers_are_imported_from_csv_through_data_import(self):
		imported = (N3, "+966500000034")
		for number in imported:
			self.addCleanup(delete_opt_out, number)
		csv = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"opt-outs-{frappe.generate_hash(length=6)}.csv",
				"content": f"Number\n{N3[1:]}\n0500000034\nnot a number\n",
				"is_private": 1,
			}
		).insert()
		data_import = frappe.get_doc(
			{
				"doctype": "Data Import",
				"reference_doctype": "SMS Opt-Out",
				"import_type": "Insert New Records",
				"import_file": csv.file_url,
			}
		).insert()
		frappe.db.commit()  # as Frappe's own importer tests do: a failed row rolls back
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "Data Import", data_import.name, force=True)
		self.addCleanup(csv.delete)
		data_import.start_import()  # at once in tests
		rows = frappe.get_all("SMS Opt-Out", filters={"name": ("in", imported)}, fields=["name", "source"])
		self.assertEqual(sorted((o.name, o.source) for o in rows), sorted((n, "Import") for n in imported))
		failures = frappe.get_all(
			"Data Import Log", filters={"data_import": data_import.name, "success": 0}, pluck="messages"
		)
		self.assertEqual(len(failures), 1)
		self.assertIn("not a mobile number", failures[0])
		frappe.db.delete("Data Import Log", {"data_import": data_import.name})


def counting(sql, queries: list):
	def counted(query, *args, **kwargs):
		queries.append(str(query))
		return sql(query, *args, **kwargs)

	return counted


class TestBulkOptOuts(SMSLogTestCase):
	"""A bulk send writes its Opted Out rows with the others, and its jobs never claim them."""

	def test_a_bulk_send_never_claims_opted_out_rows(self):
		committed_opt_out(self, N2)
		with committed_sms_settings(self.gateway):
			set_limits(queue_threshold=2, recipients_per_job=2, gateway_timeout=2)
			frappe.db.commit()
			self.addCleanup(lambda: (set_limits(), frappe.db.commit()))
			with message_class("Promotional"):
				sms_settings.send_sms([N1, N2, N3], self.message)
			(log,) = committed_logs(message=self.message)
			log_name = log.name
			self.assertEqual(committed_status(log_name), QUEUED)
			self.assertEqual([r.status for r in committed_rows(log_name)], [QUEUED, OPTED_OUT, QUEUED])
			run_jobs(*chunk_jobs(log_name), queue="long")
			wait_until(lambda: committed_status(log_name) != QUEUED)
		self.addCleanup(delete_logs, message=self.message)
		self.assertEqual([r.status for r in committed_rows(log_name)], [SENT, OPTED_OUT, SENT])
		self.assertEqual(sorted(self.gateway.received_numbers()), [N1, N3])
		self.assertEqual(committed_status(log_name), SENT)

	def test_a_number_that_opts_out_while_a_send_is_held_is_skipped_at_its_release(self):
		later = add_to_date(now_datetime(), hours=2).replace(microsecond=0)
		with committed_sms_settings(self.gateway):
			set_limits(gateway_timeout=2)
			frappe.db.commit()
			self.addCleanup(lambda: (set_limits(), frappe.db.commit()))
			with message_class("Promotional"), send_after(later):
				sms_settings.send_sms([N1, N2], self.message)
			(log,) = committed_logs(message=self.message)
			self.assertEqual(committed_status(log.name), SCHEDULED)
			committed_opt_out(self, N2)
			frappe.db.commit()  # a transaction of its own, as the scheduler's job starts one
			with patch.object(scheduled_sends, "clock", return_value=later):
				release_due_sends()
			run_jobs(*chunk_jobs(log.name), queue="long")
			wait_until(lambda: committed_status(log.name) not in (QUEUED, SCHEDULED))
		self.addCleanup(delete_logs, message=self.message)
		self.assertEqual([r.status for r in committed_rows(log.name)], [SENT, OPTED_OUT])
		self.assertEqual(self.gateway.received_numbers(), [N1])
		self.assertEqual(committed_status(log.name), SENT)


class TestUnsubscribedAtTheProvider(ProviderTestCase):
	"""A number the provider refuses as unsubscribed (Twilio's 21610, after the recipient's STOP) is
	recorded as an opt-out, source Gateway Report, with the refusal: the next promotional send skips it."""

	provider = "Twilio"

	def setUp(self):
		self.stub.reset()
		set_limits()
		self.message = f"Unsubscribed test {frappe.generate_hash(length=10)}"
		self.addCleanup(frappe.db.rollback)
		self.addCleanup(delete_opt_out, N1)
		self.addCleanup(delete_logs, message=("like", f"{self.message}%"))

	def test_a_provider_refusal_as_unsubscribed_records_an_opt_out(self):
		self.stub.failure = "unsubscribed"
		sms_settings.send_sms([N1], self.message, success_msg=False)
		(row,) = committed_rows(committed_logs(message=self.message)[0].name)
		self.assertEqual(row.status, "Failed")
		self.assertIn(frappe._(reasons.UNSUBSCRIBED), row.error)
		self.assertIn("Twilio 21610", row.error)
		with separate_connection():
			opt_out = frappe.get_doc("SMS Opt-Out", N1)
		self.assertEqual((opt_out.source, opt_out.removed), ("Gateway Report", 0))

		self.stub.reset()
		with message_class("Promotional"):
			sms_settings.send_sms([N1, N2], f"{self.message} promo", success_msg=False)
		rows = rows_by_number(committed_logs(message=f"{self.message} promo")[0].name)
		self.assertEqual((rows[N1].status, rows[N2].status), (OPTED_OUT, SENT))
		self.assertEqual(self.stub.received_numbers(), [N2])
