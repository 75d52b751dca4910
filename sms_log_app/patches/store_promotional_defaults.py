from sms_log_app.promotional_rules import store_defaults


def execute():
	"""Sites installed before the promotional rules: their defaults, and the rules on where the site is
	in Saudi Arabia."""
	store_defaults()
