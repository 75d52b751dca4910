// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

frappe.ui.form.on("SMS Log Settings", {
	refresh(frm) {
		frm.add_custom_button(__("Rotate Secret"), () => {
			frappe.confirm(
				__(
					"Make a new delivery report secret? Gateways that use the current one will get HTTP 403 until they are given the new URL."
				),
				() =>
					frappe
						.xcall("sms_log_app.delivery_reports.rotate_secret")
						.then((url) => {
							frm.reload_doc();
							frappe.msgprint({
								title: __("Delivery Report URL"),
								message: __(
									"Give this URL to the gateway as its delivery report (status callback) URL:"
								) + `<pre style="white-space: pre-wrap">${frappe.utils.escape_html(url)}</pre>`,
							});
						})
			);
		});
	},
});
