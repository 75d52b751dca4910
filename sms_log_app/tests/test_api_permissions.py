# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Who may do what with SMS Logs, asked over real HTTP of the site served on 127.0.0.1."""

import json

import frappe

from sms_log_app.tests.utils import (
	ServedSiteTestCase,
	committed_logs,
)

READERS = ("System Manager", "Administrator")


class TestPermissions(ServedSiteTestCase):
	def read_endpoints(self):
		"""(what, method, path, arguments) of every way to read SMS Logs."""
		name = self.log_name
		fields = json.dumps(["name", "message", "sent_to"])
		return [
			(
				"resource list",
				"GET",
				"/api/resource/SMS Log",
				{"params": {"fields": fields, "filters": json.dumps({"name": name})}},
			),
			("resource get", "GET", f"/api/resource/SMS Log/{name}", {}),
			(
				"client.get_list",
				"GET",
				"/api/method/frappe.client.get_list",
				{"params": {"doctype": "SMS Log", "filters": json.dumps({"name": name})}},
			),
			(
				"client.get_value",
				"GET",
				"/api/method/frappe.client.get_value",
				{
					"params": {
						"doctype": "SMS Log",
						"fieldname": "message",
						"filters": json.dumps({"name": name}),
					}
				},
			),
			(
				"client.get_count",
				"GET",
				"/api/method/frappe.client.get_count",
				{"params": {"doctype": "SMS Log", "filters": json.dumps({"message": self.message})}},
			),
			(
				"client.get_count of recipients",
				"GET",
				"/api/method/frappe.client.get_count",
				{
					"params": {
						"doctype": "SMS Log Recipient",
						"filters": json.dumps({"number": "+966500000001"}),
					}
				},
			),
			(
				"reportview.get",
				"GET",
				"/api/method/frappe.desk.reportview.get",
				{"params": {"doctype": "SMS Log", "fields": json.dumps(["`tabSMS Log`.`message`"])}},
			),
			(
				"reportview.export_query",
				"GET",
				"/api/method/frappe.desk.reportview.export_query",
				{
					"params": {
						"doctype": "SMS Log",
						"file_format_type": "CSV",
						"fields": json.dumps(["`tabSMS Log`.`name`", "`tabSMS Log`.`message`"]),
						"filters": json.dumps([["SMS Log", "name", "=", name]]),
						"title": "SMS Log",
					}
				},
			),
			(
				"print view",
				"GET",
				"/api/method/frappe.www.printview.get_html_and_style",
				{"params": {"doc": "SMS Log", "name": name, "print_format": "Standard"}},
			),
		]

	def test_access_matrix(self):
		for who in self.auth:
			reader = who.removesuffix(" (session)") in READERS
			for what, method, path, kwargs in self.read_endpoints():
				with self.subTest(who=who, what=what):
					response = self.request(who, method, path, **kwargs)
					self.assertEqual(response.status_code, 200 if reader else 403, response.text[:300])
					if reader and "get_count" not in what:
						self.assertTrue(self.log_name in response.text or self.message in response.text)
					elif not reader:
						self.assertNotIn(self.message, response.text)

	def test_list_and_get_hold_the_log(self):
		for who in READERS:
			with self.subTest(who=who):
				listing = self.request(
					who,
					"GET",
					"/api/resource/SMS Log",
					params={
						"fields": json.dumps(["name", "status", "sent_to", "noofsent_sms"]),
						"filters": json.dumps([["message", "=", self.message]]),
						"limit_page_length": 5,
					},
				)
				self.assertEqual(
					listing.json()["data"],
					[
						{
							"name": self.log_name,
							"status": "Sent",
							"sent_to": "+966500000001",
							"noofsent_sms": 1,
						}
					],
				)
				single = self.request(who, "GET", f"/api/resource/SMS Log/{self.log_name}")
				self.assertEqual(single.json()["data"]["recipients"][0]["normalized_number"], "+966500000001")

	def test_report_builder_filters_every_field(self):
		fields = ["name", "sender_name", "sent_on", "message", "noofrequested_sms", "requested_numbers"]
		fields += ["noofsent_sms", "sent_to", "status", "sent_at", "segments", "encoding"]
		response = self.request(
			"System Manager",
			"POST",
			"/api/method/frappe.desk.reportview.get",
			data={
				"doctype": "SMS Log",
				"fields": json.dumps([f"`tabSMS Log`.`{f}`" for f in fields]),
				"filters": json.dumps(
					[
						["SMS Log", "message", "=", self.message],
						["SMS Log", "noofsent_sms", ">=", 1],
						["SMS Log", "sent_to", "like", "%500000001%"],
						["SMS Log Recipient", "normalized_number", "=", "+966500000001"],
					]
				),
			},
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(response.json()["message"]["values"][0][0], self.log_name)

	def test_only_system_manager_resends(self):
		for who in self.auth:
			with self.subTest(who=who):
				response = self.request(
					who, "POST", "/api/method/sms_log_app.resend.resend", data={"name": self.log_name}
				)
				if who.removesuffix(" (session)") in READERS:
					# allowed, but that SMS reached everyone: a clear refusal, and nothing sent
					self.assertEqual(response.status_code, 417, response.text[:300])
					self.assertIn("nobody to resend to", response.text)
				else:
					self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertEqual(committed_logs(resent_from=self.log_name), [])

	def test_nobody_writes(self):
		for who in self.auth:
			with self.subTest(who=who):
				created = self.request(who, "POST", "/api/resource/SMS Log", json={"message": "forged"})
				updated = self.request(
					who, "PUT", f"/api/resource/SMS Log/{self.log_name}", json={"message": "x"}
				)
				deleted = self.request(who, "DELETE", f"/api/resource/SMS Log/{self.log_name}")
				self.assertEqual(
					(created.status_code, updated.status_code, deleted.status_code), (403, 403, 403), who
				)
		log = committed_logs(name=self.log_name)[0]
		self.assertEqual(log.message, self.message)
		self.assertEqual(committed_logs(message="forged"), [])

	def test_nobody_deletes_a_recipient(self):
		(row,) = committed_logs(name=self.log_name)[0].recipients
		deletes = (
			("DELETE", f"/api/resource/SMS Log Recipient/{row.name}", {}),
			("DELETE", f"/api/v2/document/SMS Log Recipient/{row.name}", {}),
			(
				"POST",
				"/api/method/frappe.client.delete",
				{"data": {"doctype": "SMS Log Recipient", "name": row.name}},
			),
		)
		for who in self.auth:
			for method, path, kwargs in deletes:
				with self.subTest(who=who, path=path):
					response = self.request(who, method, path, **kwargs)
					self.assertIn(response.status_code, (403, 404), response.text[:300])
		self.assertEqual([r.name for r in committed_logs(name=self.log_name)[0].recipients], [row.name])


class TestSendOverHTTP(ServedSiteTestCase):
	"""The whitelisted send_sms, called over HTTP of a site served by gunicorn."""

	def send(self, receiver_list, msg, headers=None, **kwargs):
		return self.request(
			"System Manager",
			"POST",
			"/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms",
			data={"receiver_list": json.dumps(receiver_list), "msg": msg, **kwargs},
			headers=headers,
		)

	def test_send_sms_request_is_logged_with_the_user_as_sender(self):
		self.gateway.behaviours["+966500000002"] = "reject"
		message = f"API test over HTTP {frappe.generate_hash(length=8)}"

		response = self.send(["+966500000001", "+966500000002"], message)

		self.assertEqual(response.status_code, 200, response.text)
		self.assertIn("1 SMS sent, 1 failed", response.json()["_server_messages"])
		(log,) = committed_logs(message=message)
		self.assertEqual(log.sender_name, "sms-log-manager")
		self.assertEqual((log.status, log.noofsent_sms), ("Partially Sent", 1))

	def test_a_send_from_a_form_records_that_document(self):
		"""As ERPNext's "Send SMS" of a transaction does: only numbers and text, from the form's page."""
		todo = frappe.get_doc({"doctype": "ToDo", "description": "Call about the invoice"}).insert()
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "ToDo", todo.name, force=True)
		for name, expected in ((todo.name, ("ToDo", todo.name)), ("no-such-todo", (None, None))):
			message = f"API test from a form {frappe.generate_hash(length=8)}"
			response = self.send(
				["+966500000001"], message, headers={"Referer": f"{self.client.url}/app/todo/{name}"}
			)
			self.assertEqual(response.status_code, 200, response.text)
			(log,) = committed_logs(message=message)
			self.assertEqual((log.reference_doctype, log.reference_name), expected)

	def test_bad_receiver_list_is_a_clear_error(self):
		response = self.request(
			"System Manager",
			"POST",
			"/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms",
			data={"receiver_list": '{"to": 1}', "msg": "API test bad input"},
		)
		self.assertEqual(response.status_code, 417)
		self.assertEqual(response.json()["exc_type"], "InvalidReceiverList")
		self.assertIn("list of mobile numbers", response.json()["_server_messages"])
