# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Who may send SMS over HTTP and to how many, asked of the site served by gunicorn, with the gateway
stub counting what reaches it."""

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import frappe
from frappe.core.doctype.log_settings.log_settings import _supports_log_clearing
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, get_datetime, now_datetime

from sms_log_app import send_permission
from sms_log_app.log_writer import separate_connection
from sms_log_app.sms_log_app.doctype.sms_send_refusal.sms_send_refusal import SMSSendRefusal
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.utils import (
	PASSWORD,
	SEND_FIELDS,
	SEND_SMS,
	api_token,
	committed_logs,
	committed_send_settings,
	committed_sms_settings,
	delete_logs,
	make_user,
	served_site,
	two_factor_by_sms,
)

RESEND = "/api/method/sms_log_app.resend.resend"
SENDER_ROLE = "SMS Sender Test Role"
OTP_ROLE = "SMS OTP Test Role"
NOBODYS_ROLE = "SMS Nobody Test Role"
OTP_MOBILE = "+966501199999"
MESSAGE = "Send permission test"

USERS = {
	"Website User": ("sms-perm-portal@example.com", []),
	"Desk User": ("sms-perm-desk@example.com", ["Blogger"]),
	"Sender": ("sms-perm-sender@example.com", [SENDER_ROLE]),
	"System Manager": ("sms-perm-manager@example.com", ["System Manager"]),
	"Capped": ("sms-perm-capped@example.com", ["Blogger"]),
	"OTP User": ("sms-perm-otp@example.com", [OTP_ROLE]),
}


def refusals(user) -> list:
	with separate_connection():
		return frappe.get_all(
			"SMS Send Refusal",
			filters={"user": user},
			fields=[
				"name",
				"user",
				"full_name",
				"reason",
				"attempts",
				"recipients",
				"first_attempt",
				"last_attempt",
			],
			order_by="creation asc",
		)


def totals(user) -> dict:
	"""{reason: (attempts, recipients)} of `user`'s refusals."""
	found = {}
	for r in refusals(user):
		attempts, recipients = found.get(r.reason, (0, 0))
		found[r.reason] = (attempts + r.attempts, recipients + r.recipients)
	return found


def clear_records(user):
	"""Forget `user`'s refusals and recipient counts, so that each test starts from none."""
	with separate_connection():
		frappe.db.delete("SMS Send Refusal", {"user": user})
	for cap in send_permission.recipient_caps(user, send_permission.get_settings(), now_datetime()):
		if cap.reason == send_permission.HOURLY_CAP:
			frappe.cache.delete(cap.key)


def messages(answer: dict) -> str:
	"""The text of the messages of a JSON answer, decoded."""
	return "\n".join(json.loads(m)["message"] for m in json.loads(answer.get("_server_messages") or "[]"))


def numbers(count, start=0) -> list[str]:
	return [f"+9665011{start + k:05d}" for k in range(count)]


class TestSendPermission(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
		for role, two_factor in ((SENDER_ROLE, 0), (OTP_ROLE, 1), (NOBODYS_ROLE, 0)):
			if not frappe.db.exists("Role", role):
				frappe.get_doc(
					{"doctype": "Role", "role_name": role, "desk_access": 1, "two_factor_auth": two_factor}
				).insert()
		for email, roles in USERS.values():
			make_user(email, roles)
		frappe.db.set_value("User", USERS["OTP User"][0], "mobile_no", OTP_MOBILE)
		cls.auth = {who: api_token(email) for who, (email, _roles) in USERS.items()}
		cls.auth["Guest"] = {}
		cls.addClassCleanup(cls.remove_test_data)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the users too
		cls.client = resources.enter_context(served_site(workers=3))
		cls.auth["Website User (session)"] = cls.session_login(USERS["Website User"][0])

	@classmethod
	def session_login(cls, email):
		"""The session cookie of a password login, as a portal user gets it."""
		login = cls.client.request("POST", "/api/method/login", data={"usr": email, "pwd": PASSWORD})
		assert login.ok, login.text
		return {"cookies": {cookie.name: cookie.value for cookie in login.cookies if cookie.name == "sid"}}

	@classmethod
	def remove_test_data(cls):
		delete_logs(message=("like", f"{MESSAGE}%"))
		for email, _roles in USERS.values():
			clear_records(email)
			frappe.delete_doc("User", email, force=True)
		for role in (SENDER_ROLE, OTP_ROLE, NOBODYS_ROLE):
			frappe.delete_doc("Role", role, force=True)
		frappe.db.commit()

	def setUp(self):
		self.gateway.behaviours.clear()
		self.gateway.requests.clear()
		for email, _roles in USERS.values():
			clear_records(email)
		self.message = f"{MESSAGE} {frappe.generate_hash(length=10)}"

	def request(self, who, method, path, **kwargs):
		auth = self.auth[who]
		if "cookies" not in auth:
			auth = {"headers": auth}
		return self.client.request(method, path, **auth, **kwargs)

	def send(self, who, receivers, message=None):
		return self.request(
			who,
			"POST",
			SEND_SMS,
			data={"receiver_list": json.dumps(receivers), "msg": message or self.message},
		)

	def test_only_desk_users_with_a_listed_role_send(self):
		self.assertEqual(frappe.db.get_value("User", USERS["Website User"][0], "user_type"), "Website User")
		expected = {
			"Guest": 403,
			"Website User": 403,
			"Website User (session)": 403,
			"Desk User": 403,
			"Sender": 200,
		}
		reached = {}
		with committed_send_settings(roles=[SENDER_ROLE]):
			for who, status in expected.items():
				self.gateway.requests.clear()
				response = self.send(who, numbers(2), f"{self.message} {who}")
				with self.subTest(who=who):
					self.assertEqual(response.status_code, status, response.text[:300])
				reached[who] = len(self.gateway.requests)

		self.assertEqual(reached, {who: 2 if status == 200 else 0 for who, status in expected.items()})
		self.assertEqual(len(committed_logs(message=("like", f"{self.message}%"))), 1)
		self.assertEqual(totals(USERS["Website User"][0]), {"Role": (2, 4)})  # by API key and by session
		self.assertEqual(totals(USERS["Desk User"][0]), {"Role": (1, 2)})

	def test_every_desk_user_sends_when_no_role_is_listed(self):
		with committed_send_settings():
			self.assertEqual(self.send("Desk User", numbers(1)).status_code, 200)
			self.assertEqual(self.send("Website User", numbers(1)).status_code, 403)
		self.assertEqual(len(self.gateway.requests), 1)

	def test_the_success_message_links_the_log_only_for_those_who_may_read_it(self):
		with committed_send_settings(roles=[SENDER_ROLE, "System Manager"]):
			sender = self.send("Sender", numbers(2))
			manager = self.send("System Manager", numbers(2))
		self.assertIn("SMS sent to 2 recipients", sender.json()["_server_messages"])
		self.assertNotIn("/app/sms-log/", sender.json()["_server_messages"])
		self.assertIn("/app/sms-log/", manager.json()["_server_messages"])

	def test_resend_is_refused_to_a_system_manager_without_a_listed_role(self):
		self.gateway.behaviours[numbers(1)[0]] = "reject"
		sms_settings.send_sms(numbers(1), self.message)  # server code, not over HTTP: not gated
		(log,) = committed_logs(message=self.message)
		self.gateway.requests.clear()
		with committed_send_settings(roles=[SENDER_ROLE]):
			response = self.request("System Manager", "POST", RESEND, data={"name": log.name})
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertEqual(self.gateway.requests, [])
		self.assertEqual(totals(USERS["System Manager"][0]), {"Role": (1, 1)})

	def test_parallel_sends_stop_at_the_hourly_cap_in_recipients(self):
		cap, calls, per_call = 12, 8, 3
		with committed_send_settings(hourly_recipients_per_user=cap):
			with ThreadPoolExecutor(calls) as pool:
				responses = list(
					pool.map(
						lambda k: self.send("Capped", numbers(per_call, start=k * per_call)), range(calls)
					)
				)
		statuses = sorted(response.status_code for response in responses)
		self.assertEqual(len(self.gateway.requests), cap)
		self.assertEqual(statuses, [200] * (cap // per_call) + [429] * (calls - cap // per_call))
		refused = next(response.json() for response in responses if response.status_code == 429)
		self.assertEqual(refused["exc_type"], "SMSCapExceeded")
		self.assertIn(f"at most {cap} SMS parts an hour", refused["_server_messages"])
		self.assertIn(f"needs {per_call} ({per_call} recipients × 1 parts per message)", messages(refused))
		self.assertIn("The limit resets at", refused["_server_messages"])
		refused_calls = calls - cap // per_call
		self.assertEqual(
			totals(USERS["Capped"][0]), {"Hourly Cap": (refused_calls, refused_calls * per_call)}
		)

	def test_a_send_that_would_pass_a_cap_is_refused_whole(self):
		with committed_send_settings(hourly_recipients_per_user=5):
			first = self.send("Capped", numbers(3))
			over = self.send("Capped", numbers(3, start=3))
			rest = self.send("Capped", numbers(2, start=6))
		self.assertEqual((first.status_code, over.status_code, rest.status_code), (200, 429, 200))
		self.assertEqual(self.gateway.received_numbers(), numbers(3) + numbers(2, start=6))

	def test_the_caps_count_parts_not_recipients(self):
		"""A long message takes several parts for each recipient, and the gateway bills each one."""
		long_message = f"{self.message} " + "x" * 200  # GSM-7, 2 parts
		with committed_send_settings(hourly_recipients_per_user=10):
			first = self.send("Capped", numbers(3), long_message)
			over = self.send("Capped", numbers(3, start=3), long_message)
			rest = self.send("Capped", numbers(4, start=6))  # 1 part each
		self.assertEqual((first.status_code, over.status_code, rest.status_code), (200, 429, 200))
		self.assertIn(
			"at most 10 SMS parts an hour; 6 are used, and this send needs 6 (3 recipients × 2 parts per message)",
			messages(over.json()),
		)
		self.assertEqual(self.gateway.received_numbers(), numbers(3) + numbers(4, start=6))
		self.assertEqual(totals(USERS["Capped"][0]), {"Hourly Cap": (1, 3)})

	def test_the_daily_cap_of_the_site(self):
		today = send_permission.recipient_caps("Guest", send_permission.get_settings(), now_datetime())[1]
		used = int(frappe.cache.get(today.key) or 0)
		with committed_send_settings(daily_recipients_for_site=used + 4):
			first = self.send("Capped", numbers(3))
			over = self.send("Capped", numbers(2, start=3))
			rest = self.send("System Manager", numbers(1, start=5))
		self.assertEqual((first.status_code, over.status_code, rest.status_code), (200, 429, 200))
		self.assertIn(
			f"This site may send at most {used + 4} SMS parts a day", over.json()["_server_messages"]
		)
		self.assertEqual(len(self.gateway.requests), 4)
		self.assertEqual(totals(USERS["Capped"][0]), {"Daily Cap": (1, 2)})

	def test_refusals_are_for_system_managers_and_stay_bounded_under_a_flood(self):
		calls = 500
		with committed_send_settings(roles=[SENDER_ROLE]):
			with ThreadPoolExecutor(8) as pool:
				statuses = set(
					pool.map(lambda k: self.send("Desk User", numbers(2)).status_code, range(calls))
				)
		self.assertEqual(statuses, {403})
		self.assertEqual(self.gateway.requests, [])

		records = refusals(USERS["Desk User"][0])
		first, last = get_datetime(records[0].first_attempt), get_datetime(records[-1].last_attempt)
		minutes = (last - first.replace(second=0, microsecond=0)).total_seconds() // 60 + 1
		self.assertLessEqual(len(records), minutes)
		self.assertEqual(sum(r.attempts for r in records), calls)
		self.assertEqual(sum(r.recipients for r in records), 2 * calls)

		listing = {
			"fields": json.dumps(["user", "reason", "attempts"]),
			"filters": json.dumps({"user": USERS["Desk User"][0]}),
		}
		for who, status in (("System Manager", 200), ("Desk User", 403), ("Sender", 403)):
			with self.subTest(who=who):
				response = self.request(who, "GET", "/api/resource/SMS Send Refusal", params=listing)
				self.assertEqual(response.status_code, status, response.text[:300])
		shown = self.request("System Manager", "GET", "/api/resource/SMS Send Refusal", params=listing).json()
		self.assertEqual(sum(row["attempts"] for row in shown["data"]), calls)

	def test_notifications_and_otps_still_send_when_no_user_may(self):
		contact = f"{self.message}"[-10:]
		notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": self.message,
				"subject": "SMS test",
				"document_type": "Contact",
				"event": "New",
				"channel": "SMS",
				"message": self.message,
				"recipients": [{"receiver_by_document_field": "mobile_no"}],
			}
		).insert()
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.cache.hdel, "notifications", "Contact")
		self.addCleanup(frappe.delete_doc, "Notification", notification.name, force=True)
		self.addCleanup(delete_contacts, contact)
		self.addCleanup(delete_logs, sent_to=OTP_MOBILE, sender_name="Two-Factor Authentication")

		with committed_send_settings(roles=[NOBODYS_ROLE]), two_factor_by_sms():
			refused = self.send("System Manager", numbers(1))
			created = self.request(
				"System Manager",
				"POST",
				"/api/resource/Contact",
				json={
					"first_name": contact,
					"phone_nos": [{"phone": numbers(1, start=1)[0], "is_primary_mobile_no": 1}],
				},
			)
			login = self.client.request(
				"POST", "/api/method/login", data={"usr": USERS["OTP User"][0], "pwd": PASSWORD}
			)

		self.assertEqual((refused.status_code, created.status_code), (403, 200), created.text[:300])
		self.assertIn("verification", login.json(), login.text[:500])
		self.assertEqual(login.json()["verification"]["token_delivery"], True, login.text[:300])
		self.assertEqual(self.gateway.received_numbers(), [numbers(1, start=1)[0], OTP_MOBILE])
		self.assertEqual(self.gateway.requests[1]["params"]["text"][:26], "Your verification code is ")


class TestSettingsAndRecords(FrappeTestCase):
	def setUp(self):
		self.addCleanup(frappe.db.rollback)
		self.addCleanup(frappe.clear_document_cache, "SMS Log Settings", "SMS Log Settings")

	def test_caps_refuse_negatives_and_the_hourly_ones_zero(self):
		settings = frappe.get_doc("SMS Log Settings")
		for fieldname, value, error in (
			("hourly_recipients_per_user", 0, "greater than zero"),
			("hourly_recipients_per_user", -1, "greater than zero"),
			("hourly_recipients_per_system_manager", 0, "greater than zero"),
			("daily_recipients_for_site", -1, "cannot be negative"),
		):
			with (
				self.subTest(fieldname=fieldname, value=value),
				self.assertRaisesRegex(frappe.ValidationError, error),
			):
				settings.reload()
				settings.set(fieldname, value)
				settings.save()
		settings.reload()
		settings.daily_recipients_for_site = 0  # no daily cap
		settings.save()

	def test_defaults_where_the_settings_were_never_saved(self):
		frappe.db.delete("Singles", {"doctype": "SMS Log Settings", "field": ("in", SEND_FIELDS)})
		frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")
		settings = send_permission.get_settings()
		hourly, daily = send_permission.recipient_caps("Administrator", settings, now_datetime())
		self.assertEqual((settings.hourly_recipients_per_user, hourly.limit, daily.limit), (200, 5000, 0))

	def test_a_system_manager_gets_the_higher_hourly_cap(self):
		settings = send_permission.get_settings()
		now = now_datetime()
		plain_user = make_user("sms-perm-plain@example.com", ["Blogger"]).name  # rolled back
		manager = send_permission.recipient_caps("Administrator", settings, now)[0]
		user = send_permission.recipient_caps(plain_user, settings, now)[0]
		self.assertEqual((manager.limit, user.limit), (5000, 200))
		self.assertEqual(user.resets_at, now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))

	def test_refusals_are_made_by_the_system_only_and_cleared_by_log_settings(self):
		user = "Administrator"
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": user})
		self.addCleanup(clear_records, user)
		send_permission.record_refusal(user, send_permission.ROLE, 3)
		send_permission.record_refusal(user, send_permission.ROLE, 4)
		self.assertEqual(totals(user), {"Role": (2, 7)})

		(name,) = [r.name for r in refusals(user)]
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc({"doctype": "SMS Send Refusal", "user": user, "reason": "Role"}).insert()
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("SMS Send Refusal", name)
		frappe.db.rollback()  # release the row for the connections that record refusals
		self.assertTrue(_supports_log_clearing("SMS Send Refusal"))
		self.assertEqual(frappe.get_hooks("default_log_clearing_doctypes")["SMS Send Refusal"], [90])

		frappe.db.set_value("SMS Send Refusal", name, "creation", add_days(now_datetime(), -91))
		SMSSendRefusal.clear_old_logs(days=90)
		self.assertFalse(frappe.db.exists("SMS Send Refusal", name))
		frappe.db.commit()


def delete_contacts(first_name):
	for name in frappe.get_all("Contact", {"first_name": first_name}, pluck="name"):
		frappe.delete_doc("Contact", name, force=True)
