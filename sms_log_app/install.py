import frappe

from sms_log_app import account_refusals, adoption, daily_totals, opt_outs, provider_settings, references

DEFAULT_SENDER_NAME_ROLES = ("System Manager",)


def before_install_or_migrate():
	adoption.skip_own_definition_where_adopted()
	account_refusals.add_workspace_block()  # the SMS Logs workspace shows it
	opt_outs.add_role()  # before the sync, which gives SMS Opt-Out's permissions to it


def after_install_or_migrate():
	adoption.adopt()
	provider_settings.add_provider_field()
	references.add_class_fields()
	daily_totals.rebuild()  # adopt completes logs written without the app


def after_app_install(app_name: str):
	"""Another app installed after this one may have taken SMS Log over (ERPNext v15 does)."""
	if app_name != "sms_log_app":
		adoption.adopt()
		references.add_class_fields()  # ERPNext's SMS Center
		daily_totals.rebuild()


def before_app_uninstall(app_name: str):
	"""The app that owns SMS Log (ERPNext) is going: keep SMS Log, and every log, as this app's own."""
	if app_name != "sms_log_app":
		adoption.take_back(app_name)


def before_uninstall():
	"""Keep every log: give the owner's SMS Log back, or keep the app's own as custom DocTypes."""
	adoption.remove_links()
	adoption.keep_as_custom_doctypes()
	provider_settings.remove_provider_field()
	references.remove_class_fields()
	account_refusals.remove_workspace_block()


def set_default_sender_name_roles():
	"""List the default *Roles That May Set Sender Name* where none is listed (on install, and once
	on sites installed before the setting; a list the administrator empties later stays empty)."""
	settings = frappe.get_single("SMS Log Settings")
	if settings.sender_name_roles:
		return
	# rows only: saving would validate settings that older sites may never have saved
	for role in DEFAULT_SENDER_NAME_ROLES:
		settings.append("sender_name_roles", {"role": role}).db_insert()
	frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")
