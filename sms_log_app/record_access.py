"""Which records a user may read, for the reads the app serves outside Frappe's list machinery.

The number search, the list page method, the timeline, the number cards, the count and the report
have fast paths that query every log. They may take them only for a user who may read every record:
a role that grants read without If Owner, and no User Permission, sharing rule or permission query
condition narrowing what `frappe.get_list` returns. Everyone else goes through `frappe.get_list`,
which applies all of those. An empty match condition alone does not tell: it is also what a user
whose only access is one shared document gets.
"""

import frappe
from frappe import _
from frappe.model import table_fields
from frappe.model.db_query import DatabaseQuery
from frappe.permissions import get_role_permissions
from frappe.utils import get_safe_filters


def has_unrestricted_read(doctype: str, user: str | None = None) -> bool:
	"""Whether `user` (the session user by default) may read every record of `doctype`."""
	user = user or frappe.session.user
	if user == "Administrator":
		return True
	if frappe.is_table(doctype):
		parents = parent_doctypes(doctype)
		return bool(parents) and all(has_unrestricted_read(parent, user) for parent in parents)
	permissions = get_role_permissions(doctype, user=user)
	if not permissions.get("read") or "read" in permissions.get("if_owner", {}):
		return False
	return not DatabaseQuery(doctype, user=user).build_match_conditions()


def parent_doctypes(child: str) -> list[str]:
	"""The DocTypes with a table of `child`, custom fields included."""
	docfield, custom_field = frappe.qb.DocType("DocField"), frappe.qb.DocType("Custom Field")
	standard = (
		frappe.qb.from_(docfield)
		.select(docfield.parent)
		.where((docfield.options == child) & docfield.fieldtype.isin(table_fields))
	)
	custom = (
		frappe.qb.from_(custom_field)
		.select(custom_field.dt)
		.where((custom_field.options == child) & custom_field.fieldtype.isin(table_fields))
	)
	return sorted(set((standard + custom).run(pluck=True)))


def check_read(doctype: str):
	"""Refuse, with `frappe.PermissionError` (HTTP 403), a user who may read no record of `doctype`."""
	allowed = (
		has_unrestricted_read(doctype) if frappe.is_table(doctype) else frappe.has_permission(doctype, "read")
	)
	if not allowed:
		frappe.throw(_("No permission for {0}").format(_(doctype)), frappe.PermissionError)


def readable_names(doctype: str, names: list[str]) -> set[str]:
	"""Those of `names` that the session user may read."""
	if not names:
		return set()
	return set(frappe.get_list(doctype, filters={"name": ("in", names)}, pluck="name", order_by=None))


def count_readable(doctype: str, filters=None) -> int:
	"""The records of `doctype` matching `filters` that the session user may read."""
	filters = get_safe_filters(filters)
	if isinstance(filters, str):  # a name, as frappe.db.count takes it
		filters = {"name": filters}
	rows = frappe.get_list(
		doctype,
		filters=filters,
		fields=[f"count(distinct `tab{doctype}`.`name`) as total"],
		order_by=None,
		limit_page_length=0,
	)
	return int(rows[0].total) if rows else 0


def recipient_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""The `permission_query_conditions` of SMS Log Recipient: the rows of the logs `user` may read.

	Frappe checks a child table's reads against its parent DocType's permission only, never against
	the parent's records (If Owner, shares, User Permissions): a user who may read one log, a shared
	one say, would otherwise list the recipients of every log.
	"""
	user = user or frappe.session.user
	if has_unrestricted_read("SMS Log", user):
		return ""
	if not frappe.has_permission("SMS Log", "read", user=user):
		return "1 = 0"
	logs = frappe.get_list(
		"SMS Log", fields=["`tabSMS Log`.`name`"], user=user, order_by=None, limit_page_length=0, run=0
	)
	return f"`tabSMS Log Recipient`.`parenttype` = 'SMS Log' and `tabSMS Log Recipient`.`parent` in ({logs})"


def may_access_log_of(row, ptype: str = "read", user: str | None = None) -> bool:
	"""Whether `user` may `ptype` the SMS Log that `row`, a recipient row, belongs to.

	Frappe checks a row loaded on its own (`/api/resource/SMS Log Recipient/<name>`, `frappe.client.get`)
	against SMS Log's DocType permission only, not against its log.
	"""
	return bool(row.parent) and frappe.has_permission(
		row.parenttype or "SMS Log", ptype, doc=row.parent, user=user
	)
