// ERPNext's Send SMS dialog (erpnext.SMSManager, the "Send SMS" of a transaction's menu) asks for the
// message class too, Transactional by default, and when to send (empty: now), and sends them with the
// SMS (capture.send_sms). ERPNext
// builds the dialog inside its constructor, so the wrapper catches its make_dialog as it is assigned.
$(document).on("app_ready", () => {
	const SMSManager = window.erpnext?.SMSManager;
	if (!SMSManager || SMSManager.sms_log_classed) return;

	erpnext.SMSManager = function (doc) {
		let make_dialog;
		Object.defineProperty(this, "make_dialog", {
			get: () =>
				function () {
					make_dialog.call(this);
					add_class_field(this.dialog);
				},
			set: (fn) => (make_dialog = fn),
		});
		SMSManager.call(this, doc);
	};
	erpnext.SMSManager.sms_log_classed = true;

	function add_class_field(dialog) {
		dialog.add_fields([
			{
				fieldname: "message_class",
				fieldtype: "Select",
				label: __("Message Class"),
				options: [
					{ value: "Transactional", label: __("Transactional") },
					{ value: "Promotional", label: __("Promotional") },
				],
				default: "Transactional",
				reqd: 1,
			},
			{
				fieldname: "send_after",
				fieldtype: "Datetime",
				label: __("Send At"),
				description: __("Empty: now. Later: the SMS Log is Scheduled until then"),
			},
		]);
		const send = dialog.fields_dict.send;
		$(dialog.fields_dict.message_class.wrapper).insertBefore(send.wrapper);
		$(dialog.fields_dict.send_after.wrapper).insertBefore(send.wrapper);
		dialog.set_value("message_class", "Transactional");
		send.input.onclick = () => {
			const values = dialog.get_values();
			if (!values) return;
			frappe.call({
				method: "frappe.core.doctype.sms_settings.sms_settings.send_sms",
				args: {
					receiver_list: [values.number],
					msg: values.message,
					message_class: values.message_class,
					send_after: values.send_after,
				},
				btn: $(send.input),
				callback: (r) => !r.exc && dialog.hide(),
			});
		};
	}
});
