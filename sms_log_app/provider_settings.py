"""The *SMS Provider* field of SMS Settings, and what choosing a provider fills in SMS Settings' own
fields (URL, POST, message and receiver parameters, static and header parameters)."""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from sms_log_app import providers

FIELD = "sms_provider"
FILLED = ("sms_gateway_url", "message_parameter", "receiver_parameter", "use_post")


def add_provider_field():
	"""The field, on install and migrate, on every kind of site; Custom (Frappe's way) by default."""
	create_custom_fields(
		{
			"SMS Settings": [
				{
					"fieldname": FIELD,
					"label": "SMS Provider",
					"fieldtype": "Select",
					"options": "\n".join(providers.PROFILES),
					"default": providers.CUSTOM,
					"insert_after": "receiver_parameter",
					"module": "SMS Log App",
					"description": "Choosing a provider fills the fields above and the parameters with its "
					"own; they stay editable (a proxy or a test stub may stand in for its URL)",
				}
			]
		},
		update=True,
	)


def remove_provider_field():
	frappe.delete_doc("Custom Field", f"SMS Settings-{FIELD}", ignore_missing=True, force=True)


@frappe.whitelist()
def provider_defaults(provider: str) -> dict:
	"""What choosing `provider` fills, as the SMS Settings form sets it."""
	frappe.only_for("System Manager")
	defaults = providers.PROFILES[provider].defaults
	return {
		"sms_gateway_url": defaults.url,
		"message_parameter": defaults.message_parameter,
		"receiver_parameter": defaults.receiver_parameter,
		"use_post": int(defaults.use_post),
		"parameters": [
			{"parameter": p.name, "value": p.value, "header": int(p.header)} for p in defaults.parameters
		],
	}


def fill_from_provider(settings):
	"""On save, where the provider was changed without the form filling its fields (REST, server
	code): fill them. A URL the caller changed with the provider is kept, and so is the value of a
	parameter the provider also names (the credentials typed before)."""
	provider = settings.get(FIELD) or providers.CUSTOM
	before = settings.get_doc_before_save()
	if provider == providers.CUSTOM or (before and (before.get(FIELD) or providers.CUSTOM) == provider):
		return
	defaults = provider_defaults(provider)
	if before and settings.sms_gateway_url != before.sms_gateway_url:
		defaults.pop("sms_gateway_url")
	kept = {p.parameter: p.value for p in settings.parameters if p.value}
	settings.update({field: defaults[field] for field in FILLED if field in defaults})
	settings.set(
		"parameters",
		[{**p, "value": kept.get(p["parameter"]) or p["value"]} for p in defaults["parameters"]],
	)
