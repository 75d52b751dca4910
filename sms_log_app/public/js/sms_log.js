// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

// A log records what happened: nobody edits it, and the form only reads.
frappe.ui.form.on("SMS Log", {
	refresh(frm) {
		frm.disable_save();
		// the sender name may be one a user chose: say which user sent the SMS
		frm.set_df_property(
			"sender_name",
			"description",
			__("Sent by {0}", [frappe.utils.escape_html(frm.doc.owner || "")])
		);
		frm.set_intro(
			summary(frm.doc),
			frappe.boot.sms_log_status_colors[frm.doc.status] || "orange"
		);
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
		if (frappe.user.has_role("System Manager") && can_resend(frm.doc)) {
			frm.add_custom_button(__("Resend"), () => resend(frm));
		}
		if (can_cancel(frm.doc)) {
			frm.add_custom_button(__("Cancel Send"), () => cancel_send(frm));
		}
		watch_bulk_send(frm);
	},
});

// While a bulk send goes out in the background (bulk_send), the form shows how far it has got and
// reloads when it is done. The jobs' realtime progress needs Frappe's socket.io server, so the form
// also reads the log's recipients_done every few seconds, and moves on every site.
const BULK_POLL_MS = 2000;

function watch_bulk_send(frm) {
	clearTimeout(frm.sms_log_bulk_poll);
	if (frm.doc.status !== "Queued") return;
	const name = frm.doc.name;
	const show = (done, total) => {
		frm.set_intro(summary({ ...frm.doc, recipients_done: done }), "blue");
		frm.dashboard.show_progress(
			__("Sending SMS"),
			(done * 100) / (total || 1),
			__("{0} of {1} recipients", [done, total])
		);
	};
	const poll = async () => {
		if (frm.doc.name !== name || frappe.get_route_str() !== `Form/SMS Log/${name}`) return;
		const { message: log } = await frappe.db.get_value("SMS Log", name, [
			"status",
			"recipients_done",
			"noofrequested_sms",
		]);
		if (log.status !== "Queued") {
			frm.reload_doc();
			return;
		}
		show(log.recipients_done || 0, log.noofrequested_sms);
		frm.sms_log_bulk_poll = setTimeout(poll, BULK_POLL_MS);
	};
	show(frm.doc.recipients_done || 0, frm.doc.noofrequested_sms);
	frm.sms_log_bulk_poll = setTimeout(poll, BULK_POLL_MS);
}

const NOT_DELIVERED = ["Undelivered", "Expired", "Rejected", "Failed"];

function can_resend(doc) {
	return (
		doc.sender_name !== "Two-Factor Authentication" &&
		(doc.recipients || []).some(
			(row) =>
				["Failed", "Unconfirmed"].includes(row.status) ||
				NOT_DELIVERED.includes(row.delivery_status)
		)
	);
}

// The server picks the recipients: failed or undelivered, and never one that got the message.
// Unconfirmed ones (their SMS may have gone out) only when the person ticks them.
function resend(frm) {
	const unconfirmed = (frm.doc.recipients || []).filter((row) => row.status === "Unconfirmed");
	const send = (include_unconfirmed) =>
		frappe
			.xcall("sms_log_app.resend.resend", { name: frm.doc.name, include_unconfirmed })
			.then((name) => frappe.set_route("Form", "SMS Log", name));
	const question = __(
		"Send this message again to the recipients that did not get it? Numbers that got it, or may still get it, are left out."
	);
	if (!unconfirmed.length) {
		frappe.confirm(question, () => send(0));
		return;
	}
	frappe.prompt(
		[
			{ fieldtype: "HTML", options: `<p>${question}</p>` },
			{
				fieldname: "include_unconfirmed",
				fieldtype: "Check",
				label: __(
					"Also resend to the {0} unconfirmed recipients: they may have got it already, and would get it twice",
					[unconfirmed.length]
				),
			},
		],
		(values) => send(values.include_unconfirmed),
		__("Resend"),
		__("Resend")
	);
}

// A send held for later, or queued, can be cancelled by a System Manager or the user who sent it
// (scheduled_sends.cancel_send checks it again): its recipients not yet sent to become Cancelled.
function can_cancel(doc) {
	return (
		["Scheduled", "Queued"].includes(doc.status) &&
		(frappe.user.has_role("System Manager") || doc.owner === frappe.session.user)
	);
}

function cancel_send(frm) {
	frappe.confirm(
		__("Cancel this send? The recipients it has not been sent to yet will not get it."),
		() =>
			frappe
				.xcall("sms_log_app.scheduled_sends.cancel_send", { log_name: frm.doc.name })
				.then(() => frm.reload_doc())
	);
}

function summary(doc) {
	if (doc.status === "Scheduled") {
		return __("Scheduled for {0}: the SMS go out then, unless the send is cancelled", [
			frappe.datetime.str_to_user(doc.scheduled_for),
		]);
	}
	if (doc.status === "Queued") {
		return __("Sending in the background: {0} of {1} recipients done", [
			doc.recipients_done || 0,
			doc.noofrequested_sms,
		]);
	}
	const parts = [
		__("{0} of {1} recipients accepted by the gateway", [
			doc.noofsent_sms,
			doc.noofrequested_sms,
		]),
		__("{0} segment(s) each ({1})", [doc.segments, doc.encoding]),
	];
	if (doc.cancelled_by) {
		parts.push(
			__("cancelled by {0} at {1}", [
				frappe.utils.escape_html(doc.cancelled_by),
				frappe.datetime.str_to_user(doc.cancelled_at),
			])
		);
	}
	return parts.join(" · ");
}
