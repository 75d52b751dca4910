"""The public page of an SMS's opt-out link (`opt_out_link`): shows the link's number, masked, and a
button that records its opt-out; in Arabic or English, by `?lang=`, else the visitor's language."""

import frappe
from frappe import _

from sms_log_app import opt_out_link

no_cache = 1
LANGUAGES = ("ar", "en")


def get_context(context):
	lang = frappe.form_dict.get("lang")
	if lang not in LANGUAGES:
		lang = "ar" if (frappe.local.lang or "").startswith("ar") else "en"
	frappe.local.lang = lang
	digits, token = frappe.form_dict.get("n"), frappe.form_dict.get("t")
	state = opt_out_link.page_state(digits, token)
	context.update(state)
	context.lang, context.dir = lang, "rtl" if lang == "ar" else "ltr"
	context.title = _("Stop promotional SMS")
	context.action = "/api/method/sms_log_app.opt_out_link.opt_out"
	context.n, context.t = (digits, token) if state["valid"] else ("", "")
	context.csrf_token = frappe.session.data.csrf_token or ""
	context.other_lang = "en" if lang == "ar" else "ar"
	return context
