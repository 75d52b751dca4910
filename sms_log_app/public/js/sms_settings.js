// Choosing an SMS provider fills SMS Settings' own fields with the provider's (they stay editable);
// the values of parameters already typed under the same names (credentials) are kept.
frappe.ui.form.on("SMS Settings", {
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
