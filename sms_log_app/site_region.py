"""The region a site's national numbers belong to: its country's ISO code (System Settings)."""

import frappe


def site_region() -> str | None:
	"""The ISO code of the site's country (System Settings), the default region for national numbers."""
	country = frappe.get_system_settings("country")
	return country and frappe.get_cached_value("Country", country, "code")
