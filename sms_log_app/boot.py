from sms_log_app.status import INDICATOR_COLORS


def boot_session(bootinfo):
	"""Desk's colour for each SMS Log status, from the map the server's timeline uses too."""
	bootinfo.sms_log_status_colors = INDICATOR_COLORS
