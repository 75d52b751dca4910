"""The public opt-out page over real HTTP: a genuine link records the opt-out in one click without a
login, a forged one is refused, the page is rate-limited and speaks Arabic; and who may add or remove
opt-outs over REST."""

import frappe
from frappe.tests.utils import FrappeTestCase

from sms_log_app import opt_out_link, opt_outs
from sms_log_app.log_writer import separate_connection
from sms_log_app.tests.utils import api_token, make_user, served_site

N1, N2 = "+966500000041", "+966500000042"
MANAGER = "sms-opt-out-manager@example.com"
DESK_USER = "sms-opt-out-desk@example.com"
OPT_OUT = "/api/method/sms_log_app.opt_out_link.opt_out"
REMOVE = "/api/method/sms_log_app.opt_outs.remove"
RESOURCE = "/api/resource/SMS Opt-Out"


def forget_rate_limits():
	frappe.cache.delete_keys("rl:")


def committed_opt_out(number: str):
	with separate_connection():
		return frappe.db.get_value(
			"SMS Opt-Out", number, ["source", "opted_out_by", "removed", "removal_reason"], as_dict=True
		)


def delete_opt_outs():
	with separate_connection():
		frappe.db.delete("SMS Opt-Out", {"name": ("in", (N1, N2))})


class TestOptOutPage(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER, [opt_outs.MANAGER_ROLE])
		make_user(DESK_USER, ["Blogger"])
		cls.auth = {"Manager": api_token(MANAGER), "Desk User": api_token(DESK_USER), "Guest": {}}
		frappe.db.commit()
		cls.addClassCleanup(cls.remove_users)
		cls.server = served_site()
		cls.client = cls.server.__enter__()
		cls.addClassCleanup(cls.server.__exit__, None, None, None)

	@classmethod
	def remove_users(cls):
		for user in (MANAGER, DESK_USER):
			frappe.delete_doc("User", user, force=True)
		frappe.db.commit()

	def setUp(self):
		delete_opt_outs()
		forget_rate_limits()
		self.addCleanup(delete_opt_outs)
		self.addCleanup(forget_rate_limits)

	def page(self, url: str, **params):
		path = url.removeprefix(frappe.utils.get_url())
		return self.client.request("GET", path, params=params)

	def click(self, number: str, token: str | None = None, lang="en"):
		"""The page's button, as a browser without a session posts its form."""
		digits = number.lstrip("+")
		form = {"n": digits, "t": token or opt_out_link.token(number), "lang": lang, "csrf_token": ""}
		return self.client.request("POST", OPT_OUT, data=form, allow_redirects=False)

	def test_the_link_shows_the_page_and_one_click_records_the_opt_out(self):
		page = self.page(opt_out_link.link(N1))
		self.assertEqual(page.status_code, 200)
		self.assertIn('id="opt-out-button"', page.text)
		self.assertNotIn(N1, page.text, "the number is shown masked")
		self.assertIsNone(committed_opt_out(N1), "a GET records nothing")
		answer = self.click(N1)
		self.assertIn(answer.status_code, (301, 302, 303))
		self.assertTrue(answer.headers["Location"].startswith(f"{opt_out_link.ROUTE}?n={N1[1:]}"))
		recorded = committed_opt_out(N1)
		self.assertEqual((recorded.source, recorded.opted_out_by, recorded.removed), ("Link", "Guest", 0))
		self.assertIn('id="opt-out-done"', self.page(opt_out_link.link(N1)).text)

	def test_a_forged_link_is_refused(self):
		forged = opt_out_link.token(N1)  # another number's token
		self.assertEqual(self.click(N2, token=forged).status_code, 403)
		self.assertEqual(self.click(N2, token="AAAAAAAAAAAA").status_code, 403)
		self.assertIsNone(committed_opt_out(N2))
		page = self.client.request("GET", opt_out_link.ROUTE, params={"n": N2[1:], "t": forged})
		self.assertIn('id="opt-out-invalid"', page.text)
		self.assertNotIn('id="opt-out-button"', page.text)

	def test_hostile_parameters_stay_text(self):
		hostile = '"><img src=x onerror=window.__sms_xss=1>'
		page = self.client.request(
			"GET", opt_out_link.ROUTE, params={"n": hostile, "t": hostile, "lang": hostile}
		)
		self.assertEqual(page.status_code, 200)
		self.assertNotIn("<img", page.text)
		twice = self.client.request("GET", f"{opt_out_link.ROUTE}?n=1&n=2&t=x&t=y")
		self.assertEqual(twice.status_code, 200)
		self.assertIn('id="opt-out-invalid"', twice.text)

	def test_the_page_in_arabic(self):
		page = self.page(opt_out_link.link(N1), lang="ar")
		self.assertIn('dir="rtl"', page.text)
		self.assertIn("إيقاف الرسائل النصية الترويجية", page.text)
		self.assertEqual(self.click(N1, lang="ar").headers["Location"][-7:], "lang=ar")

	def test_the_button_is_rate_limited(self):
		answers = [self.click(N1).status_code for _ in range(opt_out_link.OPT_OUTS_PER_MINUTE + 1)]
		self.assertEqual(answers[-1], 429)
		self.assertNotIn(429, answers[:-1])

	def test_the_page_is_rate_limited(self):
		url = opt_out_link.link(N1)
		answers = [self.page(url).status_code for _ in range(opt_out_link.PAGE_VIEWS_PER_MINUTE + 1)]
		self.assertEqual(answers[-1], 429)
		self.assertNotIn(429, answers[:-1])

	def test_who_may_add_and_remove_opt_outs_over_rest(self):
		for who in ("Guest", "Desk User"):
			answer = self.client.request("POST", RESOURCE, headers=self.auth[who], json={"number": N2})
			self.assertEqual(answer.status_code, 403, who)
			self.assertEqual(
				self.client.request("GET", f"{RESOURCE}/{N2}", headers=self.auth[who]).status_code, 403
			)
		added = self.client.request(
			"POST", RESOURCE, headers=self.auth["Manager"], json={"number": "0500000042"}
		)
		self.assertEqual(added.status_code, 200, added.text)
		self.assertEqual(added.json()["data"]["name"], N2)
		self.assertEqual(committed_opt_out(N2).source, "Desk")
		refused = self.client.request(
			"POST", REMOVE, headers=self.auth["Desk User"], data={"number": N2, "reason": "x"}
		)
		self.assertEqual(refused.status_code, 403)
		bare = self.client.request(
			"POST", REMOVE, headers=self.auth["Manager"], data={"number": N2, "reason": ""}
		)
		self.assertEqual(bare.status_code, 417)
		deleted = self.client.request("DELETE", f"{RESOURCE}/{N2}", headers=self.auth["Manager"])
		self.assertEqual(deleted.status_code, 403, "an opt-out is removed with a reason, never deleted")
		removed = self.client.request(
			"POST", REMOVE, headers=self.auth["Manager"], data={"number": N2, "reason": "By phone"}
		)
		self.assertEqual(removed.status_code, 200, removed.text)
		self.assertEqual(
			(committed_opt_out(N2).removed, committed_opt_out(N2).removal_reason), (1, "By phone")
		)
