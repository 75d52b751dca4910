// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

frappe.ui.form.on("SMS Opt-Out", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.removed || !frm.perm[0]?.write) return;
		frm.add_custom_button(__("Remove Opt-Out"), () => {
			frappe.prompt(
				{
					fieldname: "reason",
					fieldtype: "Small Text",
					label: __("Reason"),
					reqd: 1,
					description: __("Promotional SMS go to this number again. The opt-out is kept, marked removed, with your reason."),
				},
				({ reason }) =>
					frappe
						.xcall("sms_log_app.opt_outs.remove", { number: frm.doc.number, reason })
						.then(() => frm.reload_doc()),
				__("Remove Opt-Out"),
				__("Remove")
			);
		});
	},
});
