# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import json
import os
import subprocess
import time
from unittest.mock import patch

import frappe
import pyotp
import requests
from frappe import twofactor
from frappe.core.doctype.sms_settings import sms_settings
from frappe.model import sync
from frappe.utils import getdate, now_datetime

from sms_log_app import adoption, capture, send_input
from sms_log_app.gateway import GATEWAY_DOWN
from sms_log_app.install import before_install_or_migrate
from sms_log_app.tests.utils import (
	N1,
	N2,
	N3,
	SMSLogTestCase,
	bench_command,
	committed_logs,
	committed_sms_settings,
	configure_sms_settings,
	delete_logs,
	free_port,
	run_jobs,
	set_limits,
)


class TestCapture(SMSLogTestCase):
	def test_all_accepted(self):
		self.send([N1, N2, "0500000003"])

		log = self.the_log()
		self.assertEqual(log.status, "Sent")
		self.assertEqual((log.noofrequested_sms, log.noofsent_sms), (3, 3))
		self.assertEqual(log.requested_numbers, f"{N1}\n{N2}\n0500000003")
		self.assertEqual(log.sent_to, log.requested_numbers)
		self.assertEqual(log.sender_name, "Administrator")
		self.assertEqual(getdate(log.sent_on), getdate())
		self.assertLess(abs((now_datetime() - log.sent_at).total_seconds()), 60)
		self.assertEqual((log.encoding, log.segments), ("GSM-7", 1))
		self.assertEqual([r.status for r in log.recipients], ["Sent"] * 3)
		self.assertEqual([r.http_status for r in log.recipients], [200] * 3)
		self.assertEqual([r.normalized_number for r in log.recipients], [N1, N2, N3])
		self.assertIn("message_id", log.recipients[0].gateway_response)
		self.assertEqual(self.gateway.received_numbers(), [N1, N2, "0500000003"])
		# an adopted SMS Log keeps its owner's naming (ERPNext's SYS-SMS-.#####)
		owner_prefix = frappe.get_meta("SMS Log").autoname.split(".")[0]
		self.assertTrue(
			log.name.startswith(owner_prefix if adoption.is_adopted() else f"SMS-{getdate():%Y-%m-%d}-")
		)

	def test_one_rejected_is_partially_sent_and_the_rest_still_go(self):
		self.gateway.behaviours[N2] = "reject"

		self.send([N1, N2, N3])  # no exception

		log = self.the_log()
		self.assertEqual(log.status, "Partially Sent")
		self.assertEqual((log.noofrequested_sms, log.noofsent_sms), (3, 2))
		self.assertEqual(log.sent_to, f"{N1}\n{N3}")
		rejected = log.recipients[1]
		self.assertEqual((rejected.number, rejected.status, rejected.http_status), (N2, "Failed", 400))
		self.assertEqual(rejected.error, "HTTP 400 Bad Request")
		self.assertEqual(rejected.gateway_response, "Invalid destination number")
		self.assertEqual(self.gateway.received_numbers(), [N1, N2, N3])

	def test_all_rejected(self):
		self.gateway.behaviours.update({N1: "reject", N2: "error"})

		self.send([N1, N2])

		log = self.the_log()
		self.assertEqual((log.status, log.noofsent_sms, log.sent_to), ("Failed", 0, ""))
		self.assertEqual([r.http_status for r in log.recipients], [400, 500])

	def test_gateway_down(self):
		frappe.db.set_single_value("SMS Settings", "sms_gateway_url", f"http://127.0.0.1:{free_port()}/send")

		self.send([N1, N2])

		log = self.the_log()
		self.assertEqual(log.status, "Failed")
		refused, not_tried = log.recipients
		self.assertEqual(refused.error, "The gateway refused the connection (3 attempts)")
		self.assertEqual(not_tried.error, GATEWAY_DOWN.format(3), "each attempt counts toward the breaker")

	def test_gateway_hanging_past_the_timeout(self):
		set_limits(gateway_timeout=0.5)
		self.gateway.behaviours[N1] = "hang"
		self.gateway.hang_seconds = 3

		started = time.monotonic()
		self.send([N1, N2])

		self.assertLess(time.monotonic() - started, 2.5)
		log = self.the_log()
		self.assertEqual(log.status, "Partially Sent")
		self.assertEqual(log.recipients[0].error, "The gateway did not answer within 0.5 s")
		self.assertEqual(log.recipients[1].status, "Sent")

	def test_explicit_sender_name(self):
		self.send([N1], sender_name="Collections Team")
		self.assertEqual(self.the_log().sender_name, "Collections Team")

	def test_arabic_and_emoji_are_stored_and_sent_exactly(self):
		message = f"تذكير: فاتورتك مستحقة 😀 <b>&</b> {self.message}"

		self.send([N1], message)

		log = self.the_log(message)
		self.assertEqual(log.message, message)
		self.assertEqual(self.gateway.requests[0]["params"]["text"], message)
		self.assertEqual((log.encoding, log.segments), ("UCS-2", 1))

	def test_long_message_segments(self):
		message = self.message + " " + "x" * 300
		self.send([N1], message)
		self.assertEqual(self.the_log(message).segments, 3)

	def test_stock_gateway_settings_are_kept(self):
		configure_sms_settings(
			self.gateway, use_post=True, static={"user": "acme"}, headers={"X-Api-Key": "secret-key"}
		)
		self.send([N1])
		configure_sms_settings(self.gateway, headers={"Content-Type": "application/json"})
		self.send([N2])
		configure_sms_settings(self.gateway, static={"user": "acme"})
		self.send([N3])

		post, as_json, get = self.gateway.requests
		self.assertEqual(post["method"], "POST")
		self.assertEqual(post["params"], {"text": self.message, "user": "acme", "to": N1})
		self.assertEqual(post["headers"]["X-Api-Key"], "secret-key")
		self.assertNotIn("user=", post["path"])
		self.assertEqual(as_json["headers"]["Content-Type"], "application/json")
		self.assertEqual(as_json["params"], {"text": self.message, "to": N2})
		self.assertEqual(get["method"], "GET")
		self.assertIn("user=acme", get["path"])
		self.assertEqual(len(committed_logs(message=self.message)), 3)

	def test_caller_that_imported_send_sms_early_is_captured(self):
		# Notification and many apps hold the original function, imported before the capture.
		original_send_sms = sms_settings.send_sms._sms_log_original
		original_send_sms([N1], self.message)
		self.assertEqual(self.the_log().noofsent_sms, 1)

	def test_log_survives_rollback_of_the_callers_transaction(self):
		self.send([N1])
		frappe.db.rollback()
		self.the_log()

	def test_desk_user_sees_how_many_were_sent_and_failed(self):
		self.gateway.behaviours[N2] = "reject"
		frappe.local.message_log = []

		self.send([N1, N2, N3])

		shown = frappe.as_json(frappe.local.message_log)
		self.assertIn("2 SMS sent, 1 failed", shown)
		self.assertIn("HTTP 400 Bad Request", shown)

	def test_v15_55_has_no_sms_hooks_so_the_functions_are_wrapped(self):
		self.assertFalse(capture.framework_calls_hook(sms_settings.send_sms, "send_sms"))
		self.assertFalse(capture.framework_calls_hook(twofactor.send_token_via_sms, "send_token_via_sms"))
		self.assertTrue(sms_settings.send_sms._sms_log_original)
		self.assertTrue(twofactor.send_token_via_sms._sms_log_original)
		# where Frappe has the hooks, it calls these with the arguments of its own send_sms
		self.assertEqual(frappe.get_hooks("send_sms")[-1], "sms_log_app.capture.send_sms")
		self.assertEqual(frappe.get_hooks("send_token_via_sms")[-1], "sms_log_app.capture.send_token_via_sms")

	def test_frappe_v16_hooks_are_detected_and_log_when_called_as_v16_calls_them(self):
		def v16_send_sms(receiver_list, msg, sender_name="", success_msg=True):
			"""The shape of Frappe v16's send_sms (frappe/frappe#33444): the last hook replaces it."""
			if hooks := frappe.get_hooks("send_sms"):
				return frappe.get_attr(hooks[-1])(receiver_list, msg, sender_name, success_msg)

		self.assertTrue(capture.framework_calls_hook(v16_send_sms, "send_sms"))

		v16_send_sms(json.dumps([N1, N2]), self.message, "Collections", True)
		log = self.the_log()
		self.assertEqual((log.sender_name, log.noofsent_sms, log.sent_to), ("Collections", 2, f"{N1}\n{N2}"))

		otp_secret = pyotp.random_base32()
		hook = frappe.get_attr(frappe.get_hooks("send_token_via_sms")[-1])
		self.assertTrue(hook(otp_secret, token=11, phone_no=N3))
		code = pyotp.HOTP(otp_secret).at(11)
		otp_log = committed_logs(sender_name=capture.OTP_SENDER, requested_numbers=N3)[-1]
		self.addCleanup(delete_logs, name=otp_log.name)
		self.assertEqual(otp_log.message, "Your verification code is " + "•" * len(code))
		self.assertEqual(self.gateway.requests[-1]["params"]["text"], f"Your verification code is {code}")

	def test_installing_twice_changes_nothing(self):
		wrapped = sms_settings.send_sms
		capture.install()
		capture.install()
		self.assertIs(sms_settings.send_sms, wrapped)
		self.send([N1])
		self.the_log()


class TestReceiverListInput(SMSLogTestCase):
	def test_empty_lists_get_frappes_own_error(self):
		for receivers in ([], ["", "  "], "[]"):
			with self.subTest(receivers=receivers), self.assertRaises(frappe.ValidationError):
				self.send(receivers)
		self.assertEqual(committed_logs(message=self.message), [])

	def test_json_that_is_not_a_list_of_numbers(self):
		for receivers in ('{"to": "0500000001"}', "not json", '[["0500000001"]]', [{"n": 1}], "[true]"):
			with self.subTest(receivers=receivers), self.assertRaises(send_input.InvalidReceiverList):
				self.send(receivers)

	def test_json_string_of_one_number(self):
		self.send('"0500000001"')
		self.assertEqual(self.the_log().requested_numbers, "0500000001")

	def test_junk_numbers_are_recorded_but_not_sent(self):
		self.send(["05000abc01", "<script>alert(1)</script>", N1])

		log = self.the_log()
		self.assertEqual(self.gateway.received_numbers(), [N1])
		self.assertEqual([r.status for r in log.recipients], ["Failed", "Failed", "Sent"])
		self.assertIn("Not a mobile number", log.recipients[0].error)
		self.assertEqual(log.recipients[1].number, "<script>alert1</script>")  # as Frappe cleaned it

	def test_a_list_too_large_is_refused_before_it_is_parsed(self):
		too_long = json.dumps([N1] * 1_600_000)  # 25 MB of JSON, one number listed again and again
		too_many = json.dumps([f"+9665{i:08d}" for i in range(100_001)])  # 1.7 MB
		for what, receivers in (("25 MB", too_long), ("100,001 numbers", too_many)):
			with (
				self.subTest(what),
				patch.object(send_input.json, "loads", wraps=json.loads) as parse,
				patch.object(send_input, "to_e164", wraps=send_input.to_e164) as normalise,
			):
				with self.assertRaises(send_input.TooManyRecipients):
					self.send(receivers)
				self.assertEqual(normalise.call_count, 0, "no number is normalised")
				self.assertEqual(parse.call_count, 0 if what == "25 MB" else 1)
		self.assertEqual(self.gateway.requests, [])
		self.assertEqual(committed_logs(message=self.message), [])


class TestStockPathWhereTheAppIsNotInstalled(SMSLogTestCase):
	"""On a site without this app the wrappers must call Frappe's own functions unchanged."""

	def setUp(self):
		super().setUp()
		apps = [app for app in frappe.get_installed_apps() if app != capture.APP]
		patcher = patch("frappe.get_installed_apps", return_value=apps)
		patcher.start()
		self.addCleanup(patcher.stop)

	def test_stock_aborts_at_the_first_failure(self):
		self.gateway.behaviours[N2] = "reject"
		with self.assertRaises(requests.HTTPError):
			self.send([N1, N2, N3])
		self.assertEqual(self.gateway.received_numbers(), [N1, N2])

	def test_stock_create_sms_log_fields_are_adopted(self):
		self.send([N1, N2])
		# stock create_sms_log wrote into this transaction, with its own field names
		log = frappe.get_last_doc("SMS Log", filters={"message": self.message})
		self.assertEqual((log.noofrequested_sms, log.noofsent_sms, log.status), (2, 2, "Sent"))
		self.assertFalse(log.recipients)


class TestNotificationAndOTP(SMSLogTestCase):
	def test_notification_records_itself_and_its_document(self):
		notification = self.sms_notification(self.message + " for {{ doc.first_name }}")
		contact = frappe.get_doc(self.contact("Noura", N1)).insert()

		log = self.the_log(self.message + " for Noura")
		self.assertEqual((log.reference_doctype, log.reference_name), ("Contact", contact.name))
		self.assertEqual(log.notification, notification.name)
		self.assertEqual(log.sent_to, N1)

	def test_notification_sms_survives_a_failing_save(self):
		self.sms_notification(self.message)
		frappe.db.savepoint("before_contact")
		frappe.get_doc(self.contact("Omar", N2)).insert()
		frappe.db.rollback(save_point="before_contact")  # the save failed after the SMS went out

		self.assertFalse(frappe.db.exists("Contact", {"first_name": "Omar"}))
		self.assertEqual(self.the_log().sent_to, N2)

	def test_two_factor_otp_is_sent_at_once_and_logged_with_the_code_masked(self):
		otp_secret = pyotp.random_base32()
		code = pyotp.HOTP(otp_secret).at(7)
		self.assertTrue(twofactor.send_token_via_sms(otp_secret, token=7, phone_no=N3))

		self.assertEqual(self.gateway.requests[0]["params"]["text"], f"Your verification code is {code}")
		logs = committed_logs(sent_to=N3, sender_name="Two-Factor Authentication")
		self.addCleanup(delete_logs, name=("in", [log.name for log in logs]))
		self.assertEqual(len(logs), 1)
		self.assertEqual(logs[0].message, "Your verification code is " + "•" * len(code))
		self.assertNotIn(code, frappe.as_json(logs[0].as_dict()))

	def test_otp_to_a_failing_gateway_reports_failure_without_leaking_the_code(self):
		otp_secret = pyotp.random_base32()
		code = pyotp.HOTP(otp_secret).at(8)
		self.gateway.behaviours[N3] = "error"
		errors_before = frappe.db.count("Error Log")

		self.assertFalse(twofactor.send_token_via_sms(otp_secret, token=8, phone_no=N3))

		logs = committed_logs(sent_to="", sender_name="Two-Factor Authentication", requested_numbers=N3)
		self.addCleanup(delete_logs, name=("in", [log.name for log in logs]))
		self.assertEqual([log.status for log in logs], ["Failed"])
		self.assertEqual(frappe.db.count("Error Log"), errors_before)
		site_logs = os.path.join(frappe.local.site_path, "logs")
		for name in os.listdir(site_logs):
			with open(os.path.join(site_logs, name), errors="replace") as f:
				self.assertNotIn(code, f.read(), name)

	def test_a_job_that_calls_send_request_itself_is_logged_masked(self):
		with committed_sms_settings(self.gateway):
			job = frappe.enqueue(
				sms_settings.send_request,
				queue="short",
				gateway_url=self.gateway.url,
				params={"text": "Your verification code is 424242", "to": N2},
			)
			frappe.db.commit()
			run_jobs(job)

		self.assertEqual(self.gateway.received_numbers(), [N2])
		logs = committed_logs(sent_to=N2, sender_name="Two-Factor Authentication")
		self.addCleanup(delete_logs, name=("in", [log.name for log in logs]))
		self.assertEqual([log.message for log in logs], ["Your verification code is ••••••"])


class TestLogIsARecord(SMSLogTestCase):
	def test_cannot_be_changed_or_deleted_even_by_administrator(self):
		self.send([N1])
		log = self.the_log()
		frappe.db.rollback()  # see the committed log on this connection too
		log = frappe.get_doc("SMS Log", log.name)

		log.message = "rewritten"
		with self.assertRaises(frappe.PermissionError):
			log.save()
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("SMS Log", log.name)
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc({"doctype": "SMS Log", "message": "forged"}).insert()

	def test_sync_passes_over_the_own_definition_where_another_app_owns_sms_log(self):
		before_install_or_migrate()
		if not adoption.is_adopted():
			frappe.db.set_value("DocType", "SMS Log", "module", "Core")  # as Frappe v16 owns it
		owner = adoption.owner_module()
		self.assertFalse(sync.import_file_by_path(adoption.definition_path(), force=True))
		self.assertEqual(adoption.owner_module(), owner)


class TestEntryPoints(SMSLogTestCase):
	"""The capture is active in every kind of process: CLI (bench execute) and job workers."""

	def test_bench_execute(self):
		with committed_sms_settings(self.gateway):
			subprocess.run(
				bench_command(
					"execute",
					"frappe.core.doctype.sms_settings.sms_settings.send_sms",
					"--kwargs",
					json.dumps({"receiver_list": [N1], "msg": self.message}),
				),
				cwd=frappe.local.sites_path,
				check=True,
				capture_output=True,
			)
		log = self.the_log()
		self.assertEqual((log.sender_name, log.sent_to), ("Administrator", N1))

	def test_background_job(self):
		with committed_sms_settings(self.gateway):
			job = frappe.enqueue(
				"frappe.core.doctype.sms_settings.sms_settings.send_sms",
				queue="short",
				receiver_list=[N1, N2],
				msg=self.message,
			)
			frappe.db.commit()
			run_jobs(job)
		log = self.the_log()
		self.assertEqual((log.sender_name, log.noofsent_sms), ("Background Job", 2))
