"""Install, migrate and uninstall end to end, on throwaway sites of this bench: adopting ERPNext's SMS
Log (install on a site with ERPNext's own logs, migrate, uninstall, ERPNext installed after the app),
and keeping every log when the app is uninstalled from a Frappe-only site.

The ERPNext cases run on a site with ERPNext (the ERPNext layer of .ci/run), the Frappe-only case on
one without. They need a MariaDB superuser for new-site and drop-site, named by the environment
variables SMS_LOG_DB_ROOT_USERNAME and SMS_LOG_DB_ROOT_PASSWORD (.ci/run sets them).
"""

import json
import os
import subprocess
import sys
import unittest

import frappe
import requests
from frappe.tests.utils import FrappeTestCase

from sms_log_app.tests.utils import served_site

STOCK_MESSAGES = ["Stock reminder 1", "Stock reminder 2", "Stock reminder 3"]
LOCAL, E164 = "0500000001", "+966500000002"
# the seed's fields and ERPNext's counts, which adoption must leave as ERPNext wrote them
KEPT = ("name", "creation", "sent_on", "message", "requested_numbers", "sent_to", "sender_name")


class ThrowawaySiteTestCase(FrappeTestCase):
	with_erpnext = False  # run where the current site has ERPNext, or where it has not

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		if ("erpnext" in frappe.get_installed_apps()) != cls.with_erpnext:
			raise unittest.SkipTest(f"runs on a site {'with' if cls.with_erpnext else 'without'} ERPNext")
		cls.root = (os.environ.get("SMS_LOG_DB_ROOT_USERNAME"), os.environ.get("SMS_LOG_DB_ROOT_PASSWORD"))
		if not all(cls.root):
			raise unittest.SkipTest("SMS_LOG_DB_ROOT_USERNAME and SMS_LOG_DB_ROOT_PASSWORD are not set")

	def cli(self, site: str, *args: str) -> str:
		result = subprocess.run(
			[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", site, *args],
			cwd=os.path.abspath(frappe.local.sites_path),
			capture_output=True,
			text=True,
			timeout=900,
			stdin=subprocess.DEVNULL,
		)
		self.assertEqual(
			result.returncode, 0, f"{' '.join(args)}: {result.stdout[-3000:]}{result.stderr[-3000:]}"
		)
		return result.stdout

	def probe(self, site: str, command: str, **kwargs):
		result = subprocess.run(
			[sys.executable, "-m", "sms_log_app.tests.site_probe", site, command, json.dumps(kwargs)],
			cwd=os.path.abspath(frappe.local.sites_path),
			capture_output=True,
			text=True,
			timeout=300,
			check=True,
		)
		lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
		return lines[-1] if command == "snapshot" else lines

	def new_site(self, *apps: str) -> str:
		site = f"sms-log-adoption-{frappe.generate_hash(length=6)}.localhost"
		username, password = self.root
		root = ["--db-root-username", username, "--db-root-password", password]
		self.addCleanup(self.cli, site, "drop-site", site, "--force", "--no-backup", *root)
		self.cli(
			site, "new-site", site, "--admin-password", "admin", *root, *[f"--install-app={a}" for a in apps]
		)
		return site


class TestAdoptionOfERPNextsSMSLog(ThrowawaySiteTestCase):
	with_erpnext = True

	def test_install_migrate_and_uninstall_on_an_erpnext_site_with_its_own_logs(self):
		site = self.new_site("erpnext")
		self.probe(site, "send", messages=STOCK_MESSAGES, numbers=[LOCAL, E164])
		stock = self.probe(site, "snapshot")
		self.assertEqual([log["message"] for log in stock["logs"]], STOCK_MESSAGES)

		self.cli(site, "install-app", "sms_log_app")
		adopted = self.probe(site, "snapshot")
		self.assertEqual(
			adopted["doctype"], stock["doctype"], "ERPNext's SMS Log definition is kept as it was"
		)
		for before, after in zip(stock["logs"], adopted["logs"], strict=True):
			self.assertEqual(
				{k: after[k] for k in (*KEPT, "no_of_requested_sms", "no_of_sent_sms")},
				{k: before[k] for k in (*KEPT, "no_of_requested_sms", "no_of_sent_sms")},
			)
			self.assertEqual(
				(after["noofrequested_sms"], after["noofsent_sms"], after["status"]), (2, 2, "Sent")
			)
		self.assertIn(
			{
				"parent": stock["logs"][0]["name"],
				"number": LOCAL,
				"normalized_number": "+966500000001",
				"status": "Sent",
			},
			adopted["recipients"],
			"ERPNext's logs are found by number like new ones",
		)
		self.assert_served_logs(site, STOCK_MESSAGES)

		self.probe(
			site,
			"send",
			messages=["Adopted partial"],
			numbers=[LOCAL, "+966500000009", E164],
			reject="+966500000009",
		)
		partial = self.probe(site, "snapshot")["logs"][-1]
		self.assertEqual(
			(
				partial["message"],
				partial["status"],
				partial["noofsent_sms"],
				partial["no_of_requested_sms"],
				partial["no_of_sent_sms"],
			),
			("Adopted partial", "Partially Sent", 2, 3, 2),
		)

		self.cli(site, "migrate")
		once = self.probe(site, "snapshot")
		self.cli(site, "migrate")
		self.assertEqual(self.probe(site, "snapshot"), once, "a second migrate changes nothing")
		self.assertEqual(once["doctype"]["module"], "Utilities")

		self.cli(site, "uninstall-app", "sms_log_app", "--yes", "--no-backup")
		handed_back = self.probe(site, "snapshot")
		self.assertEqual(handed_back["doctype"], stock["doctype"])
		self.assertNotIn("status", handed_back["meta_fields"])
		self.assertEqual(
			[
				(log["message"], log["no_of_requested_sms"], log["no_of_sent_sms"])
				for log in handed_back["logs"]
			],
			[(m, 2, 2) for m in STOCK_MESSAGES] + [("Adopted partial", 3, 2)],
		)
		self.probe(site, "send", messages=["Stock again"], numbers=[E164])
		self.assertEqual(
			self.probe(site, "snapshot")["logs"][-1]["message"], "Stock again", "stock sending logs again"
		)

	def test_erpnext_installed_after_the_app_adopts_the_same_way_and_gives_it_back(self):
		"""ERPNext installed on a site with the app takes SMS Log over, and the app adopts it; ERPNext
		uninstalled again leaves SMS Log to the app, with every log written before and after."""
		site = self.new_site("sms_log_app")
		self.probe(
			site,
			"send",
			messages=["Before ERPNext"],
			numbers=[LOCAL, "+966500000009"],
			reject="+966500000009",
		)
		before = self.probe(site, "snapshot")
		self.assertEqual(before["doctype"]["module"], "SMS Log App")

		self.cli(site, "install-app", "erpnext")
		adopted = self.probe(site, "snapshot")
		self.assertEqual(adopted["doctype"]["module"], "Utilities")
		(log,) = adopted["logs"]
		self.assertEqual(
			(
				log["name"],
				log["message"],
				log["status"],
				log["noofsent_sms"],
				log["no_of_requested_sms"],
				log["no_of_sent_sms"],
			),
			(before["logs"][0]["name"], "Before ERPNext", "Partially Sent", 1, 2, 1),
		)
		self.assertEqual(adopted["recipients"], before["recipients"])
		self.assertIn("recipients", adopted["meta_fields"])

		self.probe(site, "send", messages=["After ERPNext"], numbers=[E164])
		self.cli(site, "migrate")
		once = self.probe(site, "snapshot")
		self.assertEqual([log["status"] for log in once["logs"]], ["Partially Sent", "Sent"])
		self.cli(site, "migrate")
		self.assertEqual(self.probe(site, "snapshot"), once, "a second migrate changes nothing")

		self.cli(site, "uninstall-app", "erpnext", "--yes", "--no-backup")
		kept = self.probe(site, "snapshot")
		self.assertEqual((kept["doctype"]["module"], kept["doctype"]["custom"]), ("SMS Log App", 0))
		self.assertEqual(kept["logs"], once["logs"])
		self.assertEqual(kept["recipients"], once["recipients"])
		self.assertEqual((kept["custom_fields"], kept["property_setters"]), ([], []))
		self.assert_readable(site, kept)

		self.probe(site, "send", messages=["After ERPNext left"], numbers=[LOCAL])
		after = self.probe(site, "snapshot")
		(new,) = (log for log in after["logs"] if log not in kept["logs"])
		self.assertEqual(
			(new["message"], new["status"], new["noofsent_sms"]), ("After ERPNext left", "Sent", 1)
		)
		self.assertTrue(new["name"].startswith("SMS-"), "the app's naming again")
		self.assertIn(
			{"parent": new["name"], "number": LOCAL, "normalized_number": "+966500000001", "status": "Sent"},
			after["recipients"],
		)

	def assert_readable(self, site: str, snapshot: dict):
		"""Every log of `snapshot` as REST and the Desk form give it to a System Manager."""
		with served_site(site=site) as client:
			session = requests.Session()
			session.headers["Host"] = site
			session.post(
				client.url + "/api/method/login", data={"usr": "Administrator", "pwd": "admin"}
			).raise_for_status()
			rest = session.get(
				client.url + "/api/resource/SMS Log",
				params={
					"fields": json.dumps(["name", "message", "status"]),
					"order_by": "name asc",
					"limit_page_length": 100,
				},
			)
			self.assertEqual(rest.status_code, 200, rest.text[:500])
			self.assertEqual(
				rest.json()["data"],
				[{k: log[k] for k in ("name", "message", "status")} for log in snapshot["logs"]],
			)
			for log in snapshot["logs"]:
				form = session.get(
					client.url + "/api/method/frappe.desk.form.load.getdoc",
					params={"doctype": "SMS Log", "name": log["name"]},
				)
				self.assertEqual(form.status_code, 200, form.text[:500])
				(doc,) = form.json()["docs"]
				self.assertEqual(
					[row["number"] for row in doc["recipients"]],
					[r["number"] for r in snapshot["recipients"] if r["parent"] == log["name"]],
				)

	def assert_served_logs(self, site: str, messages: list[str]):
		"""The logs as the list view and REST give them to a System Manager."""
		with served_site(site=site) as client:
			session = requests.Session()
			session.headers["Host"] = site
			session.post(
				client.url + "/api/method/login", data={"usr": "Administrator", "pwd": "admin"}
			).raise_for_status()
			fields = ["name", "message", "noofrequested_sms", "noofsent_sms", "status"]
			rest = session.get(
				client.url + "/api/resource/SMS Log",
				params={"fields": json.dumps(fields), "order_by": "creation asc", "limit_page_length": 100},
			).json()["data"]
			self.assertEqual(
				[(r["message"], r["noofsent_sms"], r["status"]) for r in rest],
				[(m, 2, "Sent") for m in messages],
			)
			listed = session.post(
				client.url + "/api/method/frappe.desk.reportview.get",
				data={"doctype": "SMS Log", "fields": json.dumps(fields), "order_by": "creation desc"},
			).json()["message"]
			self.assertEqual(len(listed["values"]), len(messages))


class TestUninstallFromAFrappeSite(ThrowawaySiteTestCase):
	def test_uninstall_keeps_every_log_and_a_reinstall_takes_them_back(self):
		site = self.new_site("sms_log_app")
		self.probe(
			site,
			"send",
			messages=["Before uninstall"],
			numbers=[LOCAL, "+966500000009"],
			reject="+966500000009",
		)
		installed = self.probe(site, "snapshot")

		self.cli(site, "uninstall-app", "sms_log_app", "--yes", "--no-backup")
		kept = self.probe(site, "snapshot")
		self.assertEqual((kept["doctype"]["custom"], kept["doctype"]["module"]), (1, "Custom"))
		self.assertEqual(kept["logs"], installed["logs"])
		self.assertEqual(kept["recipients"], installed["recipients"])
		# stock sending, which crashes on v15 without an SMS Log, now logs to the one left behind
		self.assertEqual(self.probe(site, "send", messages=["While away"], numbers=[E164]), [])
		self.assertEqual(self.probe(site, "snapshot")["logs"][-1]["message"], "While away")

		self.cli(site, "install-app", "sms_log_app")
		back = self.probe(site, "snapshot")
		self.assertEqual((back["doctype"]["custom"], back["doctype"]["module"]), (0, "SMS Log App"))
		before, away = back["logs"]
		self.assertEqual(before, installed["logs"][0])
		self.assertEqual(
			(away["message"], away["status"], away["noofrequested_sms"], away["noofsent_sms"]),
			("While away", "Sent", 1, 1),
		)
		self.assertIn(
			{"parent": away["name"], "number": E164, "normalized_number": E164, "status": "Sent"},
			back["recipients"],
		)
