# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""The HTTP surface, asked over real HTTP of the site served by gunicorn, with the gateway stub counting
what reaches it: sends take POST only, every read the app serves gives a user exactly the logs they may
read, and get_count asks for read permission on every DocType."""

import json
from contextlib import ExitStack, contextmanager

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.permissions import reset_perms, setup_custom_perms
from frappe.tests.utils import FrappeTestCase

from sms_log_app.delivery_reports import report_counter_key, rotate_secret
from sms_log_app.log_writer import separate_connection
from sms_log_app.references import reference
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.utils import (
	PASSWORD,
	RECEIVE,
	SEND_SMS,
	api_token,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	make_user,
	reset_otp_counters,
	served_site,
	two_factor_by_sms,
)

GATEWAY_ADDRESS = "203.0.113.9"  # where the gateway's reports come from, behind the site's proxy
DIRECT = "127.0.0.2"  # a client that connects itself, not through a proxy on the site's machine
MESSAGE = "HTTP surface test"
NUMBER = "+966500000077"
READER_ROLE = "SMS Log Test Reader"
OWNER_ROLE = "SMS Log Test Own Reader"
REPORT = "SMS Delivery Summary"
OTP_ROLE = "SMS Surface OTP Role"
USERS = {
	"Shared": ("sms-surface-shared@example.com", ["Blogger"]),
	"If Owner": ("sms-surface-owner@example.com", [OWNER_ROLE]),
	"User Permission": ("sms-surface-userperm@example.com", [READER_ROLE]),
	"Website User": ("sms-surface-portal@example.com", []),
	"Desk User": ("sms-surface-desk@example.com", ["Blogger"]),
	"System Manager": ("sms-surface-manager@example.com", ["System Manager"]),
}
RESTRICTED = ("Shared", "If Owner", "User Permission")
APP_DOCTYPES = (
	"SMS Log",
	"SMS Log Recipient",
	"SMS Send Refusal",
	"SMS Log Daily Total",
	"SMS Log Settings",
	"SMS Opt-Out",
)


class TestHTTPSurface(FrappeTestCase):
	"""Three logs to one number, all sent for one Contact; a user who may read one of them by a share,
	one by If Owner and one by a User Permission; and the site served."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
		cls.addClassCleanup(cls.remove_test_data)
		for role in (READER_ROLE, OWNER_ROLE):
			if not frappe.db.exists("Role", role):
				frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert()
		cls.had_custom_perms = not setup_custom_perms("SMS Log")
		for role, if_owner in ((READER_ROLE, 0), (OWNER_ROLE, 1)):
			frappe.get_doc(
				{
					"doctype": "Custom DocPerm",
					"parent": "SMS Log",
					"parenttype": "DocType",
					"parentfield": "permissions",
					"role": role,
					"permlevel": 0,
					"read": 1,
					"report": 1,
					"if_owner": if_owner,
				}
			).insert(ignore_permissions=True)
		cls.report_roles = frappe.get_doc(
			{
				"doctype": "Custom Role",
				"report": REPORT,
				"ref_doctype": "SMS Log",
				"roles": [{"role": role} for role in ("System Manager", READER_ROLE, OWNER_ROLE)],
			}
		).insert(ignore_permissions=True)
		frappe.clear_cache(doctype="SMS Log")
		for email, roles in USERS.values():
			make_user(email, roles)
		cls.email = {who: email for who, (email, _roles) in USERS.items()}
		cls.auth = {who: api_token(email) for who, email in cls.email.items()}

		cls.contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": MESSAGE,
				"phone_nos": [{"phone": NUMBER, "is_primary_mobile_no": 1}],
			}
		).insert(ignore_permissions=True)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the setup too
		cls.logs = {}
		for who in RESTRICTED:
			message = f"{MESSAGE} {who} {frappe.generate_hash(length=8)}"
			with reference("Contact", cls.contact.name):
				sms_settings.send_sms([NUMBER], message)
			cls.logs[who] = committed_logs(message=message)[0].name
		frappe.db.commit()  # the logs were committed on a connection of their own: see them
		frappe.db.set_value("SMS Log", cls.logs["If Owner"], "owner", cls.email["If Owner"])
		frappe.share.add_docshare(
			"SMS Log",
			cls.logs["Shared"],
			cls.email["Shared"],
			read=1,
			flags={"ignore_share_permission": True},
		)
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": cls.email["User Permission"],
				"allow": "SMS Log",
				"for_value": cls.logs["User Permission"],
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		for who in RESTRICTED:
			frappe.share.add_docshare(
				"Contact", cls.contact.name, cls.email[who], read=1, flags={"ignore_share_permission": True}
			)
		frappe.db.commit()
		cls.client = resources.enter_context(served_site())

	@classmethod
	def remove_test_data(cls):
		delete_logs(message=("like", f"{MESSAGE}%"))
		for email, _roles in USERS.values():
			frappe.db.delete("User Permission", {"user": email})
			frappe.db.delete("DocShare", {"user": email})
			frappe.delete_doc("User", email, force=True)
		if getattr(cls, "contact", None):
			frappe.delete_doc("Contact", cls.contact.name, force=True)
		frappe.db.delete("Custom Role", {"report": REPORT})
		if getattr(cls, "had_custom_perms", True):
			frappe.db.delete(
				"Custom DocPerm", {"parent": "SMS Log", "role": ("in", (READER_ROLE, OWNER_ROLE))}
			)
		else:
			reset_perms("SMS Log")
		for role in (READER_ROLE, OWNER_ROLE):
			frappe.delete_doc("Role", role, force=True)
		frappe.clear_cache(doctype="SMS Log")
		frappe.db.commit()

	def setUp(self):
		self.gateway.requests.clear()

	def request(self, who, method, path, **kwargs):
		return self.client.request(method, path, headers=self.auth[who], **kwargs)

	def session(self, who):
		"""The session cookie of a password login, and nothing else: what a browser sends on a link."""
		login = self.client.request(
			"POST", "/api/method/login", data={"usr": self.email[who], "pwd": PASSWORD}
		)
		self.assertTrue(login.ok, login.text)
		return {cookie.name: cookie.value for cookie in login.cookies if cookie.name == "sid"}

	# 1. Sends take POST only

	def test_a_get_sends_nothing(self):
		message = f"{MESSAGE} by GET {frappe.generate_hash(length=8)}"
		params = {"receiver_list": json.dumps([NUMBER]), "msg": message}
		cookies = self.session("System Manager")
		for path in (SEND_SMS, *send_sms_aliases()):
			by_link = self.client.request("GET", path, params=params, cookies=cookies)
			by_token = self.request("System Manager", "GET", path, params=params)
			for response in (by_link, by_token):
				with self.subTest(path=path):
					self.assertIn(response.status_code, (403, 405), response.text[:300])
		self.assertEqual(self.gateway.requests, [])
		self.assertEqual(committed_logs(message=message), [])

		sent = self.request("System Manager", "POST", SEND_SMS, data=params)
		self.assertEqual(sent.status_code, 200, sent.text[:300])
		self.assertEqual(len(self.gateway.requests), 1)

	def test_a_get_of_send_sms_imported_before_the_capture_sends_nothing(self):
		"""A worker whose first request is a login loads Notification (the login saves the User) before
		the before_request hooks wrap send_sms: the Notification module keeps Frappe's own, GET-able."""
		message = f"{MESSAGE} by GET {frappe.generate_hash(length=8)}"
		params = {"receiver_list": json.dumps([NUMBER]), "msg": message}
		with served_site(workers=1, fresh=True) as fresh:
			login = fresh.request(
				"POST", "/api/method/login", data={"usr": self.email["System Manager"], "pwd": PASSWORD}
			)
			cookies = {cookie.name: cookie.value for cookie in login.cookies if cookie.name == "sid"}
			answers = [
				fresh.request("GET", path, params=params, cookies=cookies).status_code
				for path in send_sms_aliases()
			]
		self.assertEqual(answers, [403] * len(send_sms_aliases()))
		self.assertEqual(self.gateway.requests, [])
		self.assertEqual(committed_logs(message=message), [])

	# 7. The sender name is the user's unless their role may set it

	def test_only_listed_roles_name_the_sender(self):
		settings = frappe.get_doc("SMS Log Settings")
		before = [row.role for row in settings.sender_name_roles]
		settings.set("sender_name_roles", [{"role": "System Manager"}])
		settings.save()
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(restore_sender_name_roles, before)

		sent = {}
		for who, sender_name in (("Desk User", "Two-Factor Auth"), ("System Manager", "Marketing")):
			message = f"{MESSAGE} sender {frappe.generate_hash(length=8)}"
			data = {"receiver_list": json.dumps([NUMBER]), "msg": message, "sender_name": sender_name}
			response = self.request(who, "POST", SEND_SMS, data=data)
			self.assertEqual(response.status_code, 200, response.text[:300])
			(log,) = committed_logs(message=message)
			sent[who] = (log.sender_name, log.owner)
		self.assertEqual(
			sent,
			{
				"Desk User": ("sms-surface-desk", self.email["Desk User"]),
				"System Manager": ("Marketing", self.email["System Manager"]),
			},
		)

		self.gateway.requests.clear()
		for reserved in ("Two-Factor Authentication", " scheduler", "Background Job"):
			with self.subTest(sender_name=reserved):
				data = {
					"receiver_list": json.dumps([NUMBER]),
					"msg": f"{MESSAGE} reserved",
					"sender_name": reserved,
				}
				response = self.request("System Manager", "POST", SEND_SMS, data=data)
				self.assertEqual(response.status_code, 417, response.text[:300])
				self.assertEqual(response.json()["exc_type"], "ReservedSenderName")
		self.assertEqual(self.gateway.requests, [])
		self.assertEqual(committed_logs(message=f"{MESSAGE} reserved"), [])

	# 3. get_count asks for read permission on every DocType

	def test_get_count_refuses_who_may_not_read(self):
		for who in ("Website User", "Desk User"):
			for doctype in (*APP_DOCTYPES, "Error Log", "Role"):
				with self.subTest(who=who, doctype=doctype):
					response = self.count(who, doctype, {})
					self.assertEqual(response.status_code, 403, response.text[:300])
					self.assertNotIn('"message"', response.text)
		self.assertEqual(self.count("System Manager", "SMS Send Refusal", {}).status_code, 200)

	def test_get_count_counts_only_what_a_user_may_read(self):
		"""A user's own User record is shared with them, so a Website User may count that one, and no other
		(Desk users may list users, as in Frappe's own list count)."""
		self.assertGreater(self.count("System Manager", "User", {}).json()["message"], 2)
		self.assertEqual(self.count("Website User", "User", {}).json(), {"message": 1})
		self.assertEqual(self.count("Website User", "User", {"name": "Administrator"}).json(), {"message": 0})

	def count(self, who, doctype, filters):
		return self.request(
			who,
			"GET",
			"/api/method/frappe.client.get_count",
			params={"doctype": doctype, "filters": json.dumps(filters)},
		)

	# 2. Every read gives exactly the logs the user may read

	def readable(self, who) -> dict:
		"""{read: the test logs it gave `who`}, through every read the app serves."""
		ours = set(self.logs.values())
		found = {}

		search = self.request(
			who, "GET", "/api/method/sms_log_app.phone_search.logs_to_number", params={"number": NUMBER}
		)
		self.assertEqual(search.status_code, 200, search.text[:300])
		found["number search"] = {row["name"] for row in search.json()["message"]} & ours

		page = self.request(
			who,
			"POST",
			"/api/method/sms_log_app.phone_search.get_list_page",
			data={
				"doctype": "SMS Log",
				"fields": json.dumps(["`tabSMS Log`.`name`"]),
				"filters": json.dumps([["SMS Log Recipient", "normalized_number", "=", NUMBER]]),
				"order_by": "`tabSMS Log`.`creation` desc",
				"start": 0,
				"page_length": 20,
			},
		)
		self.assertEqual(page.status_code, 200, page.text[:300])
		values = (page.json().get("message") or {}).get("values", [])
		found["list page"] = {row[0] for row in values} & ours

		form = self.request(
			who,
			"GET",
			"/api/method/frappe.desk.form.load.getdoc",
			params={"doctype": "Contact", "name": self.contact.name},
		)
		self.assertEqual(form.status_code, 200, form.text[:300])
		timeline = json.dumps(form.json()["docinfo"]["additional_timeline_content"])
		found["timeline"] = {name for name in ours if name in timeline}

		count = self.request(
			who,
			"GET",
			"/api/method/frappe.client.get_count",
			params={"doctype": "SMS Log", "filters": json.dumps({"name": ["in", sorted(ours)]})},
		)
		self.assertEqual(count.status_code, 200, count.text[:300])
		found["count"] = count.json()["message"]

		card = self.request(who, "POST", "/api/method/sms_log_app.number_cards.sent_today")
		self.assertEqual(card.status_code, 200, card.text[:300])
		found["sent today"] = card.json()["message"]["value"]

		report = self.request(
			who,
			"POST",
			"/api/method/frappe.desk.query_report.run",
			data={"report_name": REPORT, "filters": json.dumps({"sender": ""})},
		)
		if report.status_code == 403:
			found["report"] = "refused"
		else:
			self.assertEqual(report.status_code, 200, report.text[:300])
			found["report"] = sum(
				row.get("logs", 0) for row in report.json()["message"]["result"] if isinstance(row, dict)
			)
		return found

	def test_restricted_users_read_only_their_logs(self):
		for who in RESTRICTED:
			with self.subTest(who=who):
				own = {self.logs[who]}
				expected = {
					"number search": own,
					"list page": own,
					"timeline": own,
					"count": 1,
					"sent today": 1,
					# Frappe grants report neither through a share nor through If Owner
					"report": 1 if who == "User Permission" else "refused",
				}
				self.assertEqual(self.readable(who), expected)

	def test_unrestricted_users_read_every_log(self):
		found = self.readable("System Manager")
		every = set(self.logs.values())
		self.assertEqual(
			{k: found[k] for k in ("number search", "list page", "timeline", "count")},
			{"number search": every, "list page": every, "timeline": every, "count": 3},
		)
		self.assertGreaterEqual(found["sent today"], 3)
		self.assertGreaterEqual(found["report"], 3)

	# 2. The recipient rows follow the logs

	def readable_recipients(self, who) -> dict:
		"""{read: the logs whose recipient rows it gave `who`, or the HTTP status of a refusal}, through
		each way Frappe reads a child table."""
		ours = set(self.logs.values())
		fields = json.dumps(["name", "parent", "number", "status"])
		answers = {
			"REST": self.request(
				who,
				"GET",
				"/api/resource/SMS Log Recipient",
				params={"parent": "SMS Log", "fields": fields, "limit_page_length": 0},
			),
			"get_list": self.request(
				who,
				"POST",
				"/api/method/frappe.client.get_list",
				data={
					"doctype": "SMS Log Recipient",
					"parent": "SMS Log",
					"fields": fields,
					"limit_page_length": 0,
				},
			),
			"Report Builder": self.request(
				who,
				"POST",
				"/api/method/frappe.desk.reportview.get",
				data={
					"doctype": "SMS Log",
					"fields": json.dumps(["`tabSMS Log`.`name`", "`tabSMS Log Recipient`.`number`"]),
					"filters": json.dumps([["SMS Log Recipient", "number", "=", NUMBER]]),
					"page_length": 500,
				},
			),
			**{
				f"get_value {log}": self.request(
					who,
					"GET",
					"/api/method/frappe.client.get_value",
					params={
						"doctype": "SMS Log Recipient",
						"parent": "SMS Log",
						"fieldname": json.dumps(["name", "number"]),
						"filters": json.dumps({"parent": log}),
					},
				)
				for log in sorted(ours)
			},
		}
		found = {"get_value": set()}
		for read, answer in answers.items():
			if not answer.ok:
				found[read] = answer.status_code
				continue
			body = answer.json()
			if read == "Report Builder":
				found[read] = {row[0] for row in (body["message"] or {}).get("values", [])} & ours
				continue
			rows = body.get("data", body.get("message")) or []
			names = [row["name"] for row in (rows if isinstance(rows, list) else [rows])]
			parents = set(frappe.get_all("SMS Log Recipient", {"name": ("in", names)}, pluck="parent")) & ours
			if read.startswith("get_value"):
				found["get_value"] |= parents
			else:
				found[read] = parents
		return found

	def test_restricted_users_read_only_their_logs_recipients(self):
		for who in RESTRICTED:
			with self.subTest(who=who):
				own = {self.logs[who]}
				self.assertEqual(
					self.readable_recipients(who),
					{
						"REST": own,
						"get_list": own,
						"get_value": own,
						"Report Builder": own,
					},
				)
				for log in set(self.logs.values()) - own:
					row = frappe.db.get_value("SMS Log Recipient", {"parent": log})
					one = self.request(who, "GET", f"/api/resource/SMS Log Recipient/{row}")
					self.assertEqual(one.status_code, 403, one.text[:300])

	def test_unrestricted_users_read_every_logs_recipients(self):
		every = set(self.logs.values())
		self.assertEqual(
			self.readable_recipients("System Manager"),
			{"REST": every, "get_list": every, "get_value": every, "Report Builder": every},
		)


def send_sms_aliases() -> list[str]:
	"""The modules that import send_sms by name, maybe before the app wraps it, and so keep Frappe's own."""
	aliases = ["/api/method/frappe.email.doctype.notification.notification.send_sms"]
	if "erpnext" in frappe.get_installed_apps():
		aliases.append("/api/method/erpnext.selling.doctype.sms_center.sms_center.send_sms")
	return aliases


def restore_sender_name_roles(roles):
	settings = frappe.get_doc("SMS Log Settings")
	settings.set("sender_name_roles", [{"role": role} for role in roles])
	settings.save()


class TestClientAddresses(FrappeTestCase):
	"""Delivery reports and refused sends, with X-Forwarded-For written by the client."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
		cls.addClassCleanup(cls.restore_settings, frappe.get_doc("SMS Log Settings").as_dict())
		settings = frappe.get_doc("SMS Log Settings")
		settings.update(
			{
				"message_id_source": "JSON Path",
				"message_id_pattern": "message_id",
				"delivery_report_preset": "Generic",
				"delivery_reports_per_minute": 5,
				"messages_per_second": 0,  # or the report limit grows with the bulk speed
				"trusted_proxies": "",
			}
		)
		settings.save()
		cls.secret = rotate_secret().rsplit("secret=", 1)[1]
		cls.portal_user = make_user("sms-surface-portal-ip@example.com", []).name
		cls.portal_auth = api_token(cls.portal_user)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the settings too
		cls.client = resources.enter_context(served_site())

	@classmethod
	def restore_settings(cls, before):
		delete_logs(message=("like", f"{MESSAGE}%"))
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": cls.portal_user})
		frappe.delete_doc("User", cls.portal_user, force=True)
		settings = frappe.get_doc("SMS Log Settings")
		fields = ("message_id_source", "message_id_pattern", "delivery_report_preset", "trusted_proxies")
		settings.update({field: before.get(field) for field in fields})
		settings.delivery_report_preset = settings.delivery_report_preset or "Generic"
		settings.delivery_reports_per_minute = before.delivery_reports_per_minute or 600
		settings.messages_per_second = before.messages_per_second
		settings.delivery_report_secret = None
		settings.save()
		frappe.db.commit()

	def setUp(self):
		for address in ("127.0.0.1", GATEWAY_ADDRESS):
			frappe.cache.delete(report_counter_key(address))

	def set_trusted_proxies(self, proxies: str):
		frappe.db.set_single_value("SMS Log Settings", "trusted_proxies", proxies)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_single_value, "SMS Log Settings", "trusted_proxies", "")

	def report(self, message_id, secret=None, forwarded_for=None, source=None):
		headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
		params = {"secret": secret} if secret else {}
		return self.client.request(
			"POST",
			RECEIVE,
			params=params,
			data={"message_id": message_id, "status": "delivered"},
			headers=headers,
			source=source,
		)

	def sent_message_id(self) -> tuple[str, str]:
		message = f"{MESSAGE} report {frappe.generate_hash(length=8)}"
		sms_settings.send_sms([NUMBER], message)
		(log,) = committed_logs(message=message)
		return log.name, log.recipients[0].message_id

	def test_a_forged_flood_leaves_the_gateways_reports_accepted(self):
		"""600 a minute from anywhere used to block the gateway: now only reports with the secret count."""
		log_name, message_id = self.sent_message_id()
		for proxies, gateway_forwarded_for in (("", None), ("127.0.0.1", f"198.51.100.1, {GATEWAY_ADDRESS}")):
			with self.subTest(proxies=proxies):
				self.set_trusted_proxies(proxies)
				flood = {
					self.report(message_id, forwarded_for=forged).status_code
					for forged in ("127.0.0.1", GATEWAY_ADDRESS, "10.0.0.1", "not an address") * 5
				}
				self.assertEqual(flood, {403})
				real = self.report(message_id, secret=self.secret, forwarded_for=gateway_forwarded_for)
				self.assertEqual(real.status_code, 200, real.text[:300])
		self.assertEqual(committed_logs(name=log_name)[0].recipients[0].delivery_status, "Delivered")

	def test_reports_with_the_secret_are_limited_per_client_address(self):
		"""Behind the proxy on the site's machine (trusted without being named), the client is the last
		entry the proxy appended, not the first."""
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"message_id": "msg-unknown"})
		codes = [
			self.report(
				"msg-unknown", secret=self.secret, forwarded_for=f"10.0.0.{k}, {GATEWAY_ADDRESS}"
			).status_code
			for k in range(7)
		]
		self.assertEqual(codes, [202] * 5 + [429] * 2)
		other = self.report("msg-unknown", secret=self.secret, forwarded_for="198.51.100.2")
		self.assertEqual(other.status_code, 202, other.text[:300])

	def test_a_refusal_records_a_valid_client_address_only(self):
		send = {"receiver_list": json.dumps([NUMBER]), "msg": f"{MESSAGE} refused"}
		cases = (
			# (trusted proxies, connecting from, X-Forwarded-For, the address recorded)
			("", DIRECT, "198.51.100.3", DIRECT),  # not a proxy: the header is not believed
			("", "127.0.0.1", "198.51.100.4, 198.51.100.3", "198.51.100.3"),  # bench's nginx
			("127.0.0.2", DIRECT, "198.51.100.4, 198.51.100.5", "198.51.100.5"),
			("", "127.0.0.1", "<script>alert(1)</script>", None),
		)
		for proxies, source, forwarded_for, expected in cases:
			with self.subTest(proxies=proxies, source=source, forwarded_for=forwarded_for):
				with separate_connection():
					frappe.db.delete("SMS Send Refusal", {"user": self.portal_user})
				self.set_trusted_proxies(proxies)
				response = self.client.request(
					"POST",
					SEND_SMS,
					data=send,
					headers={**self.portal_auth, "X-Forwarded-For": forwarded_for},
					source=source,
				)
				self.assertEqual(response.status_code, 403, response.text[:300])
				with separate_connection():
					addresses = frappe.get_all(
						"SMS Send Refusal", filters={"user": self.portal_user}, pluck="ip_address"
					)
				self.assertEqual(addresses, [expected])


class TestNotificationsFiredByThePublic(FrappeTestCase):
	"""A public web form whose new documents fire a Notification that texts the number typed in it."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
		cls.tag = frappe.generate_hash(length=8)
		cls.web_form = frappe.get_doc(
			{
				"doctype": "Web Form",
				"title": f"{MESSAGE} {cls.tag}",
				"route": f"sms-surface-{cls.tag}",
				"doc_type": "Address",
				"module": "Contacts",
				"published": 1,
				"login_required": 0,
				"web_form_fields": [
					{"fieldname": name, "fieldtype": "Data", "label": name}
					for name in ("address_title", "address_line1", "city", "phone")
				]
				+ [
					{"fieldname": "address_type", "fieldtype": "Select", "label": "Type"},
					{"fieldname": "country", "fieldtype": "Link", "label": "Country", "options": "Country"},
				],
			}
		).insert()
		cls.notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"{MESSAGE} {cls.tag}",
				"subject": "SMS test",
				"document_type": "Address",
				"event": "New",
				"channel": "SMS",
				"message": f"{MESSAGE} {cls.tag} thank you",
				"recipients": [{"receiver_by_document_field": "phone"}],
			}
		).insert()
		cls.addClassCleanup(cls.remove_test_data)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the setup too
		cls.client = resources.enter_context(served_site())

	@classmethod
	def remove_test_data(cls):
		delete_logs(message=("like", f"{MESSAGE}%"))
		frappe.delete_doc("Notification", cls.notification.name, force=True)
		frappe.delete_doc("Web Form", cls.web_form.name, force=True)
		for name in frappe.get_all("Address", {"address_title": ("like", f"{cls.tag}%")}, pluck="name"):
			frappe.delete_doc("Address", name, force=True)
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": "Guest"})
		frappe.cache.hdel("notifications", "Address")
		frappe.db.commit()

	def setUp(self):
		self.gateway.requests.clear()
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": "Guest"})
		for key in frappe.cache.get_keys("sms_log_app:recipients:notification:"):
			frappe.cache.delete(key)

	def submit(self, k: int, source=DIRECT):
		"""A Guest fills the web form in; each request forges another X-Forwarded-For (or, from
		127.0.0.1, comes through a proxy on the site's machine from another visitor)."""
		data = {
			"doctype": "Address",
			"web_form": self.web_form.name,
			"address_title": f"{self.tag}-{k}",
			"address_line1": "1 Test Street",
			"city": "Riyadh",
			"country": "Saudi Arabia",
			"address_type": "Billing",
			"phone": f"+9665012{k:05d}",
		}
		return self.client.request(
			"POST",
			"/api/method/frappe.website.doctype.web_form.web_form.accept",
			data={"web_form": self.web_form.name, "data": json.dumps(data)},
			headers={"X-Forwarded-For": f"198.51.100.{k + 10}"},
			source=source,
		)

	def test_a_guest_web_form_stops_at_the_address_cap(self):
		with committed_notification_caps(per_address=3, for_site=200):
			statuses = [self.submit(k).status_code for k in range(5)]
		self.assertEqual(statuses, [200] * 5, "the documents are saved all the same")
		self.assertEqual(len(frappe.get_all("Address", {"address_title": ("like", f"{self.tag}%")})), 5)
		self.assertEqual(self.gateway.received_numbers(), [f"+9665012{k:05d}" for k in range(3)])
		with separate_connection():
			refused = frappe.get_all(
				"SMS Send Refusal", filters={"user": "Guest"}, fields=["reason", "attempts", "ip_address"]
			)
		self.assertEqual(
			[(r.reason, r.attempts, r.ip_address) for r in refused],
			[("Notification Address Cap", 2, DIRECT)],
		)

	def test_behind_bench_nginx_each_visitor_has_a_cap_of_their_own(self):
		with committed_notification_caps(per_address=1, for_site=200):
			statuses = [self.submit(k, source="127.0.0.1").status_code for k in range(4)]
		self.assertEqual(statuses, [200] * 4)
		self.assertEqual(self.gateway.received_numbers(), [f"+9665012{k:05d}" for k in range(4)])

	def test_the_site_cap_holds_for_every_address(self):
		with committed_notification_caps(per_address=3, for_site=2):
			# each from an address of its own, through the proxy on the site's machine
			statuses = [self.submit(k, source="127.0.0.1").status_code for k in range(4)]
		self.assertEqual(statuses, [200] * 4)
		self.assertEqual(len(self.gateway.requests), 2)

	def test_desk_users_notifications_are_not_capped(self):
		auth = api_token(make_user("sms-surface-desk-notify@example.com", ["System Manager"]).name)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "User", "sms-surface-desk-notify@example.com", force=True)
		with committed_notification_caps(per_address=1, for_site=1):
			for k in range(3):
				response = self.client.request(
					"POST",
					"/api/resource/Address",
					headers=auth,
					json={
						"address_title": f"{self.tag}-desk-{k}",
						"address_line1": "1 Test Street",
						"city": "Riyadh",
						"country": "Saudi Arabia",
						"address_type": "Billing",
						"phone": f"+9665013{k:05d}",
					},
				)
				self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(len(self.gateway.requests), 3)


@contextmanager
def committed_notification_caps(per_address: int, for_site: int):
	fields = ("hourly_notification_parts_per_address", "hourly_notification_parts_for_site")
	before = frappe.db.get_values_from_single(fields, None, "SMS Log Settings", as_dict=True)[0]
	frappe.db.set_single_value("SMS Log Settings", dict(zip(fields, (per_address, for_site), strict=True)))
	frappe.db.commit()
	try:
		yield
	finally:
		frappe.db.set_single_value("SMS Log Settings", before)
		frappe.db.commit()


class TestFreshWorker(FrappeTestCase):
	"""Frappe logs a user in before the before_request hooks run."""

	def test_the_first_request_of_a_fresh_worker_sends_its_otp_through_the_app(self):
		mobile = "+966501188888"
		if not frappe.db.exists("Role", OTP_ROLE):
			frappe.get_doc(
				{"doctype": "Role", "role_name": OTP_ROLE, "desk_access": 1, "two_factor_auth": 1}
			).insert()
		user = make_user("sms-surface-otp@example.com", [OTP_ROLE]).name
		frappe.db.set_value("User", user, "mobile_no", mobile)
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "Role", OTP_ROLE, force=True)
		self.addCleanup(frappe.delete_doc, "User", user, force=True)
		self.addCleanup(delete_logs, requested_numbers=mobile)

		with (
			GatewayStub() as gateway,
			committed_sms_settings(gateway),
			two_factor_by_sms(),
			served_site(workers=1, fresh=True) as client,
		):
			login = client.request("POST", "/api/method/login", data={"usr": user, "pwd": PASSWORD})

		self.assertEqual(login.json().get("verification", {}).get("token_delivery"), True, login.text[:300])
		self.assertEqual(gateway.received_numbers(), [mobile], "sent at once, not by a background job")
		code = gateway.requests[0]["params"]["text"].rsplit(" ", 1)[-1]
		(log,) = committed_logs(requested_numbers=mobile)
		self.assertEqual(log.sender_name, "Two-Factor Authentication")
		self.assertNotIn(code, log.message)


class TestOneTimeCodes(FrappeTestCase):
	"""Two-factor login by SMS, looped: each correct password without a code asks for one."""

	mobile = "+966501177777"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if not frappe.db.exists("Role", OTP_ROLE):
			frappe.get_doc(
				{"doctype": "Role", "role_name": OTP_ROLE, "desk_access": 1, "two_factor_auth": 1}
			).insert()
		cls.users = []
		for email, mobile in (
			("sms-surface-otp-loop@example.com", cls.mobile),
			("sms-surface-otp-same-number@example.com", "0501177777"),  # the same number, spelled locally
		):
			cls.users.append(make_user(email, [OTP_ROLE]).name)
			frappe.db.set_value("User", email, "mobile_no", mobile)
		cls.addClassCleanup(cls.remove_test_data)
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the users too
		resources.enter_context(two_factor_by_sms())
		cls.client = resources.enter_context(served_site(workers=1))

	@classmethod
	def remove_test_data(cls):
		delete_logs(requested_numbers=("in", [cls.mobile, "0501177777"]))
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": ("in", cls.users)})
		for user in cls.users:
			frappe.delete_doc("User", user, force=True)
		frappe.delete_doc("Role", OTP_ROLE, force=True)
		frappe.db.commit()

	def setUp(self):
		self.gateway.requests.clear()
		reset_otp_counters()
		with separate_connection():
			frappe.db.delete("SMS Send Refusal", {"user": ("in", self.users)})

	def login(self, user) -> dict:
		answer = self.client.request("POST", "/api/method/login", data={"usr": user, "pwd": PASSWORD})
		self.assertEqual(answer.status_code, 200, answer.text[:300])
		self.assertNotIn("exc", answer.json())
		return answer.json()["verification"]

	def refusals(self) -> list[tuple]:
		with separate_connection():
			rows = frappe.get_all(
				"SMS Send Refusal",
				filters={"user": ("in", self.users)},
				fields=["user", "reason", "attempts"],
			)
		return [(row.user, row.reason, row.attempts) for row in rows]

	def test_a_looped_login_sends_the_users_cap(self):
		with committed_otp_caps(per_user=3, per_number=5):
			delivered = [self.login(self.users[0])["token_delivery"] for _ in range(6)]
		self.assertEqual(delivered, [True] * 3 + [False] * 3)
		self.assertEqual(self.gateway.received_numbers(), [self.mobile] * 3)
		self.assertEqual(self.refusals(), [(self.users[0], "OTP User Cap", 3)])

	def test_one_number_is_capped_whoever_logs_in(self):
		with committed_otp_caps(per_user=5, per_number=3):
			delivered = [self.login(user)["token_delivery"] for user in (*self.users, *self.users)]
		self.assertEqual(delivered, [True] * 3 + [False])
		self.assertEqual(len(self.gateway.requests), 3)
		self.assertEqual(self.refusals(), [(self.users[1], "OTP Number Cap", 1)])

	def test_the_otp_template_is_honoured(self):
		frappe.db.set_single_value(
			"System Settings", "otp_sms_template", "Sign-in code {{otp}}, do not share it"
		)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_single_value, "System Settings", "otp_sms_template", None)
		self.assertTrue(self.login(self.users[0])["token_delivery"])
		text = self.gateway.requests[0]["params"]["text"]
		self.assertRegex(text, r"^Sign-in code \d{6}, do not share it$")
		log = committed_logs(requested_numbers=self.mobile)[-1]
		self.assertEqual(log.message, "Sign-in code ••••••, do not share it")


@contextmanager
def committed_otp_caps(per_user: int, per_number: int):
	fields = ("hourly_otps_per_user", "hourly_otps_per_number")
	before = {field: frappe.db.get_single_value("SMS Log Settings", field) for field in fields}
	frappe.db.set_single_value("SMS Log Settings", dict(zip(fields, (per_user, per_number), strict=True)))
	frappe.db.commit()
	try:
		yield
	finally:
		frappe.db.set_single_value("SMS Log Settings", before)
		frappe.db.commit()
