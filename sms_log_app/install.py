import frappe
from frappe import _

MODULE = "SMS Log App"


def before_install():
	"""Refuse to install where another app already defines "SMS Log" (ERPNext v15, Frappe v16+).

	Frappe's sync does not check who owns a DocType: this app's JSON would silently take the other
	app's SMS Log over, and every `bench migrate` would flip it back and forth.
	"""
	module = frappe.db.get_value("DocType", "SMS Log", "module")
	if module and module != MODULE:
		owner = frappe.db.get_value("Module Def", module, "app_name") or module
		raise frappe.IncompatibleApp(
			_(
				"This site already has an SMS Log DocType, from the {0} app (module {1}). "
				"That app already keeps SMS logs, so sms_log_app was not installed and nothing was changed."
			).format(owner, module)
		)
