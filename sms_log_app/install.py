from sms_log_app import adoption, daily_totals


def before_install_or_migrate():
	adoption.skip_own_definition_where_adopted()


def after_install_or_migrate():
	adoption.adopt()
	daily_totals.rebuild()  # adopt completes logs written without the app


def after_app_install(app_name: str):
	"""Another app installed after this one may have taken SMS Log over (ERPNext v15 does)."""
	if app_name != "sms_log_app":
		adoption.adopt()
		daily_totals.rebuild()


def before_uninstall():
	"""Keep every log: give the owner's SMS Log back, or keep the app's own as custom DocTypes."""
	adoption.remove_links()
	adoption.keep_as_custom_doctypes()
