app_name = "sms_log_app"
app_title = "SMS Log App"
app_publisher = "Dafater"
app_description = "An audit record of every SMS a Frappe site sends"
app_email = "dev@dafater.com"
app_license = "mit"

# Installation
# ------------
# Where another app (ERPNext v15, Frappe v16+) owns SMS Log, extend it instead of replacing it;
# see sms_log_app/adoption.py.
before_install = "sms_log_app.install.before_install_or_migrate"
before_migrate = "sms_log_app.install.before_install_or_migrate"
after_install = [
	"sms_log_app.install.after_install_or_migrate",
	"sms_log_app.install.set_default_sender_name_roles",
	"sms_log_app.promotional_rules.store_defaults",
]
# Saudi sites apply the promotional rules by default: the wizard is where a new site gets its country.
setup_wizard_complete = "sms_log_app.promotional_rules.after_setup_wizard"
after_migrate = "sms_log_app.install.after_install_or_migrate"
# ERPNext installed after this app brings its own SMS Log: adopt it the same way.
after_app_install = "sms_log_app.install.after_app_install"
before_uninstall = "sms_log_app.install.before_uninstall"
# Uninstalling ERPNext would drop its SMS Log with every log: the app takes the DocType back first.
before_app_uninstall = "sms_log_app.install.before_app_uninstall"

# SMS capture
# -----------
# Frappe releases after v15.55.1 hand sending over to these hooks (the last registered one runs).
send_sms = "sms_log_app.capture.send_sms"
send_token_via_sms = "sms_log_app.capture.send_token_via_sms"
# Older ones, v15.55.1 included, have no such hook: the send functions are wrapped in each process.
# Bench CLI processes do it when they import the app; web workers and job workers need these.
before_request = ["sms_log_app.capture.install"]
before_job = ["sms_log_app.capture.install", "sms_log_app.safe_export.before_job"]

# An SMS Notification records itself and its document on the log.
# SMS Log runs this app's controller also where ERPNext or Frappe owns the DocType.
# Loading SMS Settings imports the capture in a fresh web worker whose first request is a 2FA login,
# which Frappe runs before the before_request hooks (sms_log_app/overrides/sms_settings.py).
override_doctype_class = {
	"Notification": "sms_log_app.overrides.notification.SMSLoggedNotification",
	"SMS Log": "sms_log_app.sms_log_app.doctype.sms_log.sms_log.SMSLog",
	"SMS Settings": "sms_log_app.overrides.sms_settings.LoggedSMSSettings",
	# ERPNext's SMS Center sends with the class chosen on it (only loaded where ERPNext is)
	"SMS Center": "sms_log_app.overrides.sms_center.ClassedSMSCenter",
}

# Frappe v15's get_count checks no permission, for any DocType: records must not be probed through it.
# Report Builder and the group-by sidebar draw values as HTML: the server escapes what a caller sent.
# Report Builder's and query reports' exports build their rows and write the file in one function,
# with no hook between: these mark an export of the app's data, so that Frappe's writers put a quote
# before text a spreadsheet would run as a formula (sms_log_app/safe_export.py); before_job does
# the same for the exports Frappe runs in the background.
override_whitelisted_methods = {
	"frappe.client.get_count": "sms_log_app.overrides.client.get_count",
	"frappe.desk.reportview.get": "sms_log_app.overrides.desk.get",
	"frappe.desk.listview.get_group_by_count": "sms_log_app.overrides.desk.get_group_by_count",
	"frappe.desk.reportview.export_query": "sms_log_app.overrides.desk.export_query",
	"frappe.desk.query_report.export_query": "sms_log_app.overrides.desk.export_query_report",
}

# Frappe checks a child table's rows against its parent DocType only, never the parent's records
# (If Owner, shares, User Permissions): recipient rows follow the logs the user may read.
permission_query_conditions = {"SMS Log Recipient": "sms_log_app.record_access.recipient_conditions"}

# Desk
# ----
# Desk loads a DocType's scripts from the folder of the module that owns it, which for SMS Log is
# ERPNext's (or Frappe v16's) where they own it: the app's scripts live in public/js and come through
# these hooks only, so that every site runs them, and runs them once. verbatim_fields.js shows what a
# caller sent as text; Desk runs list scripts whenever it loads a DocType (form, list or report).
# sms_settings.js fills SMS Settings with the provider chosen there (sms_log_app/providers/).
doctype_js = {"SMS Log": "public/js/sms_log.js", "SMS Settings": "public/js/sms_settings.js"}
doctype_list_js = {
	"SMS Log": ["public/js/verbatim_fields.js", "public/js/sms_log_list.js"],
	"SMS Log Daily Total": "public/js/verbatim_fields.js",
	"SMS Send Refusal": "public/js/verbatim_fields.js",
	"SMS Delivery Report": "public/js/verbatim_fields.js",
}
# The SMS Logs workspace's volume chart: its legend in rows that fit (Frappe Charts cuts it off).
# ERPNext's Send SMS dialog asks for the message class (a no-op where ERPNext is not installed).
app_include_js = [
	"/assets/sms_log_app/js/volume_chart_legend.js",
	"/assets/sms_log_app/js/send_sms_dialog.js",
]
# The status colours of SMS Logs, one map for the server and Desk (status.INDICATOR_COLORS).
boot_session = "sms_log_app.boot.boot_session"
# The public page of an SMS's opt-out link, without the website's context (opt_out_page.py)
page_renderer = ["sms_log_app.opt_out_page.OptOutPage"]

# The SMS sent for a document, or to a person's numbers, on its form timeline (every DocType).
additional_timeline_content = {"*": ["sms_log_app.timeline.timeline_entries"]}

# Sends whose process died
# ------------------------
# Re-enqueue queued sends whose worker died (bulk_send.py); complete the synchronous sends whose
# process died between their log and their outcomes (recovery.py).
scheduler_events = {
	"cron": {
		"* * * * *": [
			"sms_log_app.bulk_send.resume_stalled_sends",
			"sms_log_app.recovery.finish_interrupted_sends",
			# delivery reports that came before their send recorded the message id
			"sms_log_app.delivery_reports.apply_waiting_reports",
			# held and scheduled sends whose time has come (scheduled_sends.py)
			"sms_log_app.scheduled_sends.release_due_sends",
		],
		# the SMS provider account's balance, where its profile has a balance endpoint
		"*/15 * * * *": ["sms_log_app.provider_balance.refresh_balance"],
	}
}

# Log Settings
# ------------
# An audit log: keep a year unless the administrator chooses otherwise; refused sends and applied
# delivery reports, 90 days (unmatched reports twice as long: SMSDeliveryReport.clear_old_logs).
default_log_clearing_doctypes = {"SMS Log": 365, "SMS Send Refusal": 90, "SMS Delivery Report": 90}
# and never less than 30 days (SMSLog.clear_old_logs holds the same floor)
doc_events = {
	"Log Settings": {"validate": "sms_log_app.sms_log_app.doctype.sms_log.sms_log.refuse_short_retention"}
}

# Tests
# -----
# run-tests on a fresh site: complete its setup first (ERPNext's test records need a company).
before_tests = "sms_log_app.tests.utils.before_tests"
