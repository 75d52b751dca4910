"""Refusals about the provider account rather than a number: balance, credentials or IP, API disabled,
an unregistered sender name (`providers.reasons.ACCOUNT`).

One stops its send (`gateway.deliver` and `ParallelSender`); in a bulk send it stops every chunk's
job too, through a flag in Redis that each request checks and the log's Queued rows marked not sent.
System Managers get one Notification Log per cause per hour, with the provider's message and a link
to the log, and the SMS Logs workspace shows the cause until a send succeeds again.
"""

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from sms_log_app import log_writer
from sms_log_app.gateway import Outcome, refuses_account
from sms_log_app.status import FAILED, QUEUED

# the latest cause, until a send succeeds, as a global default (written directly: frappe.defaults
# would clear the whole cache each time)
CAUSE = "sms_log_app_account_refusal"
NOTIFY_EVERY = 3600  # seconds: one notification per cause in this time
STOP_FOR = 24 * 3600  # seconds a bulk send's stop flag is kept


def after_send(log_name: str, outcomes: list[Outcome]):
	"""Remember and announce an account refusal among `outcomes`; forget the last one once a number
	was taken."""
	refusal = next((o for o in outcomes if refuses_account(o) and not o.stopped), None)
	if refusal:
		with log_writer.separate_connection():
			_remember(log_name, refusal)
			_notify(log_name, refusal)
	elif any(o.accepted for o in outcomes) and _may_have_cause():
		with log_writer.separate_connection():  # what other processes committed, not this snapshot
			frappe.db.delete("DefaultValue", _CAUSE_ROW)
		frappe.cache.set(_cause_flag(), "0")


def stop_bulk_send(log_name: str, refusal: Outcome):
	"""No further request for the log from any job: the flag every request of it checks, and its
	rows still Queued recorded as not sent, with the refusal (committed)."""
	frappe.cache.set(_stop_key(log_name), json.dumps(_as_dict(refusal)), ex=STOP_FOR)
	error = refusal.error if refusal.stopped else _("Not sent: {0}").format(refusal.error)
	row = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(row).set(row.status, FAILED).set(row.error, error).set(
		row.modified, now_datetime()
	).where((row.parenttype == "SMS Log") & (row.parent == log_name) & (row.status == QUEUED)).run()
	frappe.db.commit()


def refused_elsewhere(log_name: str):
	"""For a bulk send's ParallelSender: the refusal another job of the log met, or None. It runs in
	the sender's threads, which have no Frappe context: the key and the client are taken here."""
	key, cache = _stop_key(log_name), frappe.cache

	def check() -> Outcome | None:
		stored = cache.get(key)
		return Outcome(**json.loads(stored)) if stored else None

	return check


def _stop_key(log_name: str) -> str:
	return frappe.cache.make_key(f"sms_log_app:account_refusal_stop:{log_name}")


def _as_dict(refusal: Outcome) -> dict:
	return {
		"number": refusal.number,
		"accepted": False,
		"http_status": refusal.http_status,
		"error": refusal.error,
		"code": refusal.code,
		"reason": refusal.reason,
		"said": refusal.said,
	}


_CAUSE_ROW = {"parent": "__default", "parenttype": "__default", "defkey": CAUSE}


def _remember(log_name: str, refusal: Outcome):
	cause = {"log": log_name, "reason": refusal.reason, "error": refusal.error, "at": str(now_datetime())}
	frappe.db.delete("DefaultValue", _CAUSE_ROW)
	frappe.get_doc({"doctype": "DefaultValue", **_CAUSE_ROW, "defvalue": json.dumps(cause)}).db_insert()
	frappe.cache.set(_cause_flag(), "1")


def _stored_cause() -> str | None:
	return frappe.db.get_value("DefaultValue", _CAUSE_ROW, "defvalue")


def _may_have_cause() -> bool:
	"""Whether a cause may be stored, from a flag in Redis so that a send that succeeds costs no query;
	where Redis does not know (flushed), from the database."""
	flag = frappe.cache.get(_cause_flag())
	if flag is None:
		with log_writer.separate_connection():
			flag = "1" if _stored_cause() else "0"
		frappe.cache.set(_cause_flag(), flag)
	return flag in ("1", b"1")


def _cause_flag() -> str:
	return frappe.cache.make_key("sms_log_app:account_refusal_cause")


def _notify(log_name: str, refusal: Outcome):
	key = f"sms_log_app:account_refusal_notified:{refusal.reason}"
	if frappe.cache.get_value(key, expires=True):
		return
	frappe.cache.set_value(key, 1, expires_in_sec=NOTIFY_EVERY)
	subject = _("SMS sending stopped: {0}").format(_(refusal.reason))
	for user in system_managers():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"subject": subject,
				"email_content": frappe.utils.escape_html(refusal.error or ""),
				"document_type": "SMS Log",
				"document_name": log_name,
			}
		).insert(ignore_permissions=True)


def system_managers() -> list[str]:
	user, role = frappe.qb.DocType("User"), frappe.qb.DocType("Has Role")
	return (
		frappe.qb.from_(user)
		.join(role)
		.on(role.parent == user.name)
		.select(user.name)
		.distinct()
		.where(
			(role.parenttype == "User")
			& (role.role == "System Manager")
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& (user.name != "Guest")
		)
		.run(pluck=True)
	)


@frappe.whitelist()
def current_cause() -> dict | None:
	"""What the SMS Logs workspace shows System Managers: the latest account refusal, until a send
	succeeded since."""
	if "System Manager" not in frappe.get_roles():
		return None
	cause = _stored_cause()
	return json.loads(cause) if cause else None


# The workspace's block (a Custom HTML Block, made before the workspace is synced): empty unless
# there is a cause, which it shows as text.
BLOCK = "SMS Account Refusal"
BLOCK_HTML = """<div class="sms-account-refusal" hidden>
	<div class="sms-account-refusal-title"></div>
	<div class="sms-account-refusal-error"></div>
	<a class="sms-account-refusal-log"></a>
</div>"""
BLOCK_SCRIPT = """frappe.xcall("sms_log_app.account_refusals.current_cause").then((cause) => {
	if (!cause) return;
	const box = root_element.querySelector(".sms-account-refusal");
	box.querySelector(".sms-account-refusal-title").textContent = __("SMS sending stopped: {0}", [
		__(cause.reason),
	]);
	box.querySelector(".sms-account-refusal-error").textContent = cause.error;
	const link = box.querySelector(".sms-account-refusal-log");
	link.href = "/app/sms-log/" + encodeURIComponent(cause.log);
	link.textContent = __("Open {0}", [cause.log]);
	box.hidden = false;
});"""
BLOCK_STYLE = """.sms-account-refusal { padding: var(--padding-md); border-radius: var(--border-radius-md);
	background: var(--bg-red); color: var(--text-on-red); }
.sms-account-refusal-title { font-weight: 600; margin-bottom: var(--margin-xs); }"""


def add_workspace_block():
	"""The block, made or brought up to date (install and migrate, before the workspace is synced)."""
	if frappe.db.exists("Custom HTML Block", BLOCK):
		block = frappe.get_doc("Custom HTML Block", BLOCK)
	else:
		block = frappe.new_doc("Custom HTML Block")
		block.__newname = BLOCK
	block.update({"html": BLOCK_HTML, "script": BLOCK_SCRIPT, "style": BLOCK_STYLE, "private": 0})
	block.set("roles", [{"role": "System Manager"}])
	block.save(ignore_permissions=True)


def remove_workspace_block():
	frappe.delete_doc("Custom HTML Block", BLOCK, ignore_missing=True, force=True)
