from sms_log_app.sms_log_app.doctype.sms_log import sms_log
from sms_log_app.sms_log_app.doctype.sms_log_recipient import sms_log_recipient


def execute():
	"""Give sites installed before them the indexes that `on_doctype_update` creates on new sites;
	migrate runs `on_doctype_update` only when a DocType's JSON changes."""
	sms_log.on_doctype_update()
	sms_log_recipient.on_doctype_update()
