// Choosing an SMS provider fills SMS Settings' own fields with the provider's (they stay editable);
// the values of parameters already typed under the same names (credentials) are kept.
// Check Balance (System Managers) asks the saved provider's balance endpoint and shows the balance,
// or the provider's error, as text (sms_log_app/provider_balance.py).
frappe.ui.form.on("SMS Settings", {
	refresh(frm) {
		if (!frappe.user.has_role("System Manager")) return;
		frm.add_custom_button(__("Check Balance"), () => check_balance(frm));
	},
	sms_provider(frm) {
		if (!frm.doc.sms_provider || frm.doc.sms_provider === "Custom") return;
		frappe
			.xcall("sms_log_app.provider_settings.provider_defaults", {
				provider: frm.doc.sms_provider,
			})
			.then((defaults) => {
				const typed = {};
				(frm.doc.parameters || []).forEach((p) => p.value && (typed[p.parameter] = p.value));
				["sms_gateway_url", "message_parameter", "receiver_parameter", "use_post"].forEach(
					(field) => frm.set_value(field, defaults[field])
				);
				frm.clear_table("parameters");
				defaults.parameters.forEach((p) =>
					frm.add_child("parameters", { ...p, value: typed[p.parameter] || p.value })
				);
				frm.refresh_field("parameters");
			});
	},
});

function check_balance(frm) {
	if (frm.is_dirty()) {
		frappe.msgprint(
			__("Save SMS Settings first: the balance is asked with the saved settings.")
		);
		return;
	}
	frappe.xcall("sms_log_app.provider_balance.check_balance").then((result) => {
		const text = result.error
			? __("The provider did not give the balance: {0}", [result.error])
			: __("Balance: {0} {1}", [format_number(result.amount, null, 2), result.unit || ""]);
		frappe.msgprint({
			title: result.error ? __("Balance Not Read") : __("SMS Provider Balance"),
			message: frappe.utils.escape_html(text), // the provider's words, as text
			indicator: result.error ? "red" : "green",
		});
	});
}
