from sms_log_app.install import set_default_sender_name_roles


def execute():
	"""Sites installed before *Roles That May Set Sender Name* get its default: System Manager."""
	set_default_sender_name_roles()
