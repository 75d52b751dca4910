"""Commands the adoption tests run on throwaway sites, with or without this app installed: send SMS
through whatever send path the site has, and print the state of its SMS Log as JSON.

	python -m sms_log_app.tests.site_probe <site> send|snapshot '<JSON of keyword arguments>'

run from the bench's sites folder (`bench execute` refuses sites without the app).
"""

import json
import sys

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.utils import configure_sms_settings, set_site_country


def send(messages: list[str], numbers: list[str], reject: str | None = None):
	"""Send each message to `numbers` through `send_sms` and a gateway stub that rejects `reject`.

	Where sms_log_app is not installed, this is Frappe's own send path: the rejected number raises,
	as it does there.
	"""
	with GatewayStub() as gateway:
		if reject:
			gateway.behaviours[reject] = "reject"
		configure_sms_settings(gateway)
		set_site_country()
		frappe.db.commit()
		for message in messages:
			try:
				sms_settings.send_sms(numbers, message)
			except Exception as e:
				print(json.dumps({"raised": type(e).__name__}))
			frappe.db.commit()


def snapshot():
	"""Print SMS Log's definition, its customisations and every log with its recipients, as JSON."""
	doctype = frappe.db.get_value(
		"DocType", "SMS Log", ["module", "autoname", "modified", "migration_hash", "custom"], as_dict=True
	)
	state = {
		"installed_apps": frappe.get_installed_apps(),
		"doctype": doctype,
		"fields": frappe.get_all(
			"DocField",
			filters={"parent": "SMS Log"},
			fields=["fieldname", "fieldtype", "modified"],
			order_by="idx",
		),
		"custom_fields": frappe.get_all(
			"Custom Field", filters={"dt": "SMS Log"}, fields=["fieldname", "modified"], order_by="idx"
		),
		"property_setters": frappe.get_all(
			"Property Setter",
			filters={"doc_type": "SMS Log"},
			fields=["name", "value", "modified"],
			order_by="name",
		),
		"meta_fields": [df.fieldname for df in frappe.get_meta("SMS Log").fields],
		"logs": frappe.db.sql("select * from `tabSMS Log` order by name", as_dict=True),
		"recipients": frappe.db.sql(
			"select parent, number, normalized_number, status from `tabSMS Log Recipient` order by parent, idx",
			as_dict=True,
		)
		if frappe.db.table_exists("SMS Log Recipient")
		else None,
	}
	print(json.dumps(state, default=str, sort_keys=True))


if __name__ == "__main__":
	site, command, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}")
	frappe.init(site, sites_path=".")
	frappe.connect()
	try:
		{"send": send, "snapshot": snapshot}[command](**kwargs)
	finally:
		frappe.destroy()
