"""Share the "SMS Log" DocType with the app that already defines it: ERPNext v15 (module Utilities)
and Frappe v16 (module Core).

Frappe's sync has no notion of ownership: two apps shipping a JSON for one DocType would each import
theirs at every `bench migrate`, the last one winning. So where another app owns SMS Log, this app
never imports its own `sms_log.json`. It extends the owner's DocType the way Frappe extends another
app's DocTypes, with Custom Fields and Property Setters of module "SMS Log App" derived from that same
JSON, and runs its own controller through `override_doctype_class`. The owner keeps the DocType, its
table and its naming, so `bench uninstall-app sms_log_app` deletes only the app's customisations (and
keeps their columns and values), and the owner's SMS Log goes on working. When the owner is
uninstalled instead (ERPNext), this app takes SMS Log back as its own, with every log.
"""

import json
import os

import frappe
from frappe.model import no_value_fields
from frappe.model import sync as model_sync
from frappe.modules import import_file

from sms_log_app.log_writer import RECIPIENT_FIELDS, insert_rows, recipient_row
from sms_log_app.markup_free import markup_free
from sms_log_app.numbers import to_e164
from sms_log_app.segments import count_segments
from sms_log_app.site_region import site_region
from sms_log_app.sms_log_app.doctype.sms_log.sms_log import STOCK_COUNTS, on_doctype_update
from sms_log_app.status import FAILED, SENT, log_status

DOCTYPE = "SMS Log"
MODULE = "SMS Log App"
# DocType properties of this app's SMS Log that also apply to the owner's (the naming stays the owner's)
DOCTYPE_PROPERTIES = ("in_create", "sort_field", "sort_order", "title_field", "track_changes")
FIELD_PROPERTIES = ("in_list_view", "in_standard_filter", "read_only", "ignore_xss_filter", "description")
BACKFILL_BATCH = 1_000


def definition_path() -> str:
	return frappe.get_app_path("sms_log_app", "sms_log_app", "doctype", "sms_log", "sms_log.json")


def definition() -> dict:
	with open(definition_path()) as f:
		return json.load(f)


def owner_module() -> str | None:
	"""The module SMS Log belongs to on this site, when some app already defines it."""
	return frappe.db.get_value("DocType", DOCTYPE, "module")


def is_adopted() -> bool:
	"""Whether another app owns SMS Log on this site and this app extends it (a custom SMS Log is the
	one this app left behind when it was uninstalled, see `keep_as_custom_doctypes`)."""
	doctype = frappe.db.get_value("DocType", DOCTYPE, ["module", "custom"], as_dict=True)
	return bool(doctype) and doctype.module != MODULE and not doctype.custom


def skip_own_definition_where_adopted():
	"""Make Frappe's sync pass over this app's `sms_log.json` on sites where another app owns SMS Log.

	Called before this app is installed and before each migrate; calling it again changes nothing.
	"""
	original = model_sync.import_file_by_path
	if getattr(original, "_sms_log_original", None):
		return

	def import_file_by_path(path, *args, **kwargs):
		if os.path.samefile(path, definition_path()) and is_adopted():
			return False
		return original(path, *args, **kwargs)

	import_file_by_path._sms_log_original = original
	model_sync.import_file_by_path = import_file_by_path


def adopt():
	"""Extend the owner's SMS Log with this app's fields, indexes and defaults, and complete the logs
	the owner wrote. Where this app owns SMS Log it only completes logs written while it was away.
	A second call changes nothing."""
	if not is_adopted():
		complete_logs()
		return
	spec = definition()
	add_custom_fields(spec)
	set_properties(spec)
	add_links(spec)
	frappe.clear_cache(doctype=DOCTYPE)
	on_doctype_update()
	complete_logs()


def add_custom_fields(spec: dict):
	"""A Custom Field for each field of this app's SMS Log that the owner's lacks, in this app's order."""
	meta = frappe.get_meta(DOCTYPE)
	fields = {df["fieldname"]: df for df in spec["fields"]}
	custom_field_keys = {df.fieldname for df in frappe.get_meta("Custom Field").fields} - {"fieldname"}
	previous = None
	for fieldname in spec["field_order"]:
		df = fields[fieldname]
		standard = meta.get_field(fieldname)
		if standard and not standard.get("is_custom_field"):
			previous = fieldname
			continue
		wanted = {k: v for k, v in df.items() if k in custom_field_keys} | {
			"insert_after": previous,
			"module": MODULE,
		}
		name = f"{DOCTYPE}-{fieldname}"
		if frappe.db.exists("Custom Field", name):
			field = frappe.get_doc("Custom Field", name)
			if any(field.get(k) != v for k, v in wanted.items()):
				field.update(wanted)
				field.save()
		else:
			frappe.get_doc(
				{"doctype": "Custom Field", "dt": DOCTYPE, "fieldname": fieldname, **wanted}
			).insert()
		previous = fieldname


def set_properties(spec: dict):
	"""Property Setters that give the owner's SMS Log this app's form, list and behaviour: this app's
	field order, with the owner's own layout and duplicate count fields hidden at the end."""
	for prop in DOCTYPE_PROPERTIES:
		property_setter(
			None, prop, spec.get(prop), "Check" if prop in ("in_create", "track_changes") else "Data"
		)
	meta = frappe.get_meta(DOCTYPE)
	owner_only = [
		df.fieldname
		for df in meta.fields
		if not df.get("is_custom_field") and df.fieldname not in spec["field_order"]
	]
	property_setter(None, "field_order", json.dumps(spec["field_order"] + owner_only), "Data")
	for fieldname in owner_only:
		property_setter(fieldname, "hidden", 1, "Check")
	for df in spec["fields"]:
		standard = meta.get_field(df["fieldname"])
		if not standard or standard.get("is_custom_field") or df["fieldtype"] in no_value_fields:
			continue
		for prop in FIELD_PROPERTIES:
			if df.get(prop) and standard.get(prop) != df[prop]:
				property_setter(df["fieldname"], prop, df[prop], "Text" if prop == "description" else "Check")
			elif not df.get(prop):  # one this app set before and no longer does: the owner's again
				frappe.db.delete("Property Setter", {"name": f"{DOCTYPE}-{df['fieldname']}-{prop}"})


def property_setter(fieldname: str | None, prop: str, value, property_type: str):
	name = f"{DOCTYPE}-{fieldname or 'main'}-{prop}"
	wanted = {
		"doctype_or_field": "DocField" if fieldname else "DocType",
		"doc_type": DOCTYPE,
		"field_name": fieldname,
		"property": prop,
		"property_type": property_type,
		"value": str(value if value is not None else ""),
		"module": MODULE,
	}
	if frappe.db.exists("Property Setter", name):
		setter = frappe.get_doc("Property Setter", name)
		if any(str(setter.get(k) or "") != str(v or "") for k, v in wanted.items()):
			setter.update(wanted)
			setter.save()
	else:
		frappe.get_doc({"doctype": "Property Setter", "name": name, **wanted}).insert()


def add_links(spec: dict):
	"""This app's connections (the Resends of a log), as custom links of the owner's DocType."""
	for link in spec.get("links", []):
		filters = {
			"parent": DOCTYPE,
			"link_doctype": link["link_doctype"],
			"link_fieldname": link["link_fieldname"],
		}
		if not frappe.db.exists("DocType Link", filters):
			frappe.get_doc(
				{
					"doctype": "DocType Link",
					"parenttype": "DocType",
					"parentfield": "links",
					"custom": 1,
					**link,
				}
				| {"parent": DOCTYPE}
			).db_insert()


def remove_links():
	"""Take this app's connections off the owner's SMS Log, before uninstall removes their fields."""
	if is_adopted():
		for link in definition().get("links", []):
			frappe.db.delete(
				"DocType Link", {"parent": DOCTYPE, "custom": 1, "link_fieldname": link["link_fieldname"]}
			)
		frappe.clear_cache(doctype=DOCTYPE)


def complete_logs():
	"""Fill this app's fields on the logs written without it (by the owner before this app came, or by
	stock sending while it was uninstalled), so that every log shows its counts and status and is found
	by number; and the owner's counts on the logs this app wrote before the owner came (ERPNext
	installed after this app). What stock sending wrote is never changed.
	"""
	log = frappe.qb.DocType(DOCTYPE)
	stock_counts = set(STOCK_COUNTS) <= set(frappe.db.get_table_columns(DOCTYPE))
	for stock, own in STOCK_COUNTS.items() if stock_counts else ():
		frappe.qb.update(log).set(log[stock], log[own]).where(
			(log[own] > 0) & (log[stock].isnull() | (log[stock] == 0))
		).run()
	bare = (
		frappe.qb.from_(log)
		.select(log.name)
		.where(log.sent_at.isnull())  # the app sets it on every log it writes
		.limit(BACKFILL_BATCH)
	)
	while names := bare.run(pluck=True):
		for row in frappe.get_all(
			DOCTYPE,
			filters={"name": ("in", names)},
			fields=[
				"name",
				"creation",
				"message",
				"requested_numbers",
				"sent_to",
				"sender_name",
				*(STOCK_COUNTS if stock_counts else ()),
			],
		):
			# the stock counts where the DocType has them, else the numbers themselves
			requested = row.get("no_of_requested_sms") or len(_numbers(row.requested_numbers))
			sent = row.get("no_of_sent_sms") or len(_numbers(row.sent_to))
			encoding, segments = count_segments(row.message or "")
			frappe.db.set_value(
				DOCTYPE,
				row.name,
				{
					"noofrequested_sms": requested,
					"noofsent_sms": sent,
					"status": log_status(requested, sent),
					"sent_at": row.creation,
					"encoding": encoding,
					"segments": segments,
					"title": markup_free(row.sender_name),
				},
				update_modified=False,
			)
	add_missing_recipients()


def add_missing_recipients():
	"""Recipient rows for the logs that have none, from their requested and sent numbers."""
	log = frappe.qb.DocType(DOCTYPE)
	recipient = frappe.qb.DocType("SMS Log Recipient")
	region = site_region()
	without_rows = (
		frappe.qb.from_(log)
		.left_join(recipient)
		.on((recipient.parent == log.name) & (recipient.parenttype == DOCTYPE))
		.select(log.name, log.owner, log.creation, log.requested_numbers, log.sent_to)
		.where(recipient.name.isnull() & log.requested_numbers.notnull() & (log.requested_numbers != ""))
		.orderby(log.name)
		.limit(BACKFILL_BATCH)
	)
	last = ""
	while logs := without_rows.where(log.name > last).run(as_dict=True):
		last = logs[-1].name
		rows = []
		for entry in logs:
			sent = set(_numbers(entry.sent_to))
			for idx, number in enumerate(_numbers(entry.requested_numbers), start=1):
				accepted = number in sent
				row = recipient_row(
					entry,
					idx,
					number,
					to_e164(number, region),
					SENT if accepted else FAILED,
					error=None if accepted else "Not among the numbers the gateway accepted",
				)
				rows.append(tuple(row.values()))
		insert_rows("SMS Log Recipient", RECIPIENT_FIELDS, rows)


def _numbers(text: str | None) -> list[str]:
	return [n.strip() for n in (text or "").splitlines() if n.strip()]


def take_back(app_name: str):
	"""Before `app_name` is uninstalled: where it owns SMS Log, make SMS Log this app's own, with this
	app's definition, so that uninstall keeps its table, and every log in it, instead of dropping it with
	the owner's modules. The customisations the app added become its standard fields; the logs and
	their rows are not touched, and the owner's columns stay (Frappe never drops a column on sync)."""
	if not is_adopted() or frappe.db.get_value("Module Def", owner_module(), "app_name") != app_name:
		return
	remove_links()
	frappe.db.delete("Custom Field", {"dt": DOCTYPE, "module": MODULE})
	frappe.db.delete("Property Setter", {"doc_type": DOCTYPE, "module": MODULE})
	frappe.db.set_value("DocType", DOCTYPE, {"module": MODULE, "migration_hash": None})
	import_file.import_file_by_path(definition_path(), force=True)
	frappe.clear_cache(doctype=DOCTYPE)
	on_doctype_update()


def keep_as_custom_doctypes():
	"""Where this app owns SMS Log, keep it and its recipients as custom DocTypes of the site when the
	app is uninstalled, instead of letting uninstall drop their tables: every log stays readable, and
	Frappe's own send path, which needs an SMS Log, goes on logging. Installing the app again takes
	them back (their cleared migration hash makes the sync import the app's definitions again)."""
	if is_adopted():
		return
	for doctype in (DOCTYPE, "SMS Log Recipient"):
		frappe.db.set_value("DocType", doctype, {"custom": 1, "module": "Custom", "migration_hash": None})
	frappe.clear_cache()
