// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

// A log records what happened: nobody edits it, and the form only reads.
frappe.ui.form.on("SMS Log", {
	refresh(frm) {
		frm.disable_save();
		frm.set_intro(
			summary(frm.doc),
			{ Sent: "blue", Delivered: "green", Failed: "red", Undelivered: "red" }[
				frm.doc.status
			] || "orange"
		);
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
	},
});

function summary(doc) {
	const parts = [
		__("{0} of {1} recipients accepted by the gateway", [
			doc.noofsent_sms,
			doc.noofrequested_sms,
		]),
		__("{0} segment(s) each ({1})", [doc.segments, doc.encoding]),
	];
	return parts.join(" · ");
}
