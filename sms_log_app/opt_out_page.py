"""The public page of an SMS's opt-out link (`opt_out_link`), `/sms-opt-out`: the link's number,
masked, and a button that records its opt-out; in Arabic or English, by `?lang=`, else the visitor's
language. A page renderer of its own (the `page_renderer` hook), not a www page: it skips the website's
context (settings, navbar, sidebar) and renders a template compiled once per process, which keeps it
within its 50 ms."""

import frappe
from frappe import _
from frappe.website.page_renderers.base_renderer import BaseRenderer

from sms_log_app import opt_out_link

TEMPLATE = "sms_log_app/templates/opt_out_page.html"
LANGUAGES = ("ar", "en")


class OptOutPage(BaseRenderer):
	def can_render(self) -> bool:
		return self.path == opt_out_link.ROUTE.strip("/")

	def render(self):
		self.headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
		return self.build_response(frappe.render_template(TEMPLATE, page_context()))


def page_context() -> dict:
	lang = frappe.form_dict.get("lang")
	if lang not in LANGUAGES:
		lang = "ar" if (frappe.local.lang or "").startswith("ar") else "en"
	frappe.local.lang = lang
	digits, token = frappe.form_dict.get("n"), frappe.form_dict.get("t")
	state = opt_out_link.page_state(digits, token)
	return {
		**state,
		"lang": lang,
		"dir": "rtl" if lang == "ar" else "ltr",
		"title": _("Stop promotional SMS"),
		"action": "/api/method/sms_log_app.opt_out_link.opt_out",
		"n": digits if state["valid"] else "",
		"t": token if state["valid"] else "",
		"csrf_token": frappe.session.data.csrf_token or "",
		"other_lang": "en" if lang == "ar" else "ar",
	}
