// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

// What a caller sent is kept as it came (`ignore_xss_filter`): the message, the numbers, the sender
// name and the gateway's answers of SMS Log and its recipients, and the sender names of SMS Log Daily
// Total, the addresses of SMS Send Refusal and the delivery reports kept as they came. Desk must show
// them as text wherever it formats them: the form, table rows, list and Report Builder cells. hooks.py serves this file with the list script
// of each of these DocTypes, which Desk runs whenever it loads their meta (form, list or report), on
// every site, whichever app owns SMS Log. Running it again changes nothing.
(() => {
	// Escaped once, whether the value comes as stored (forms, lists) or already escaped by the server
	// (Report Builder, sms_log_app.overrides.desk) or by a Data field's form control.
	const as_text = (value) =>
		frappe.utils.escape_html(frappe.utils.unescape_html(value == null ? "" : String(value)));

	const data_as_text = (value) => as_text(value);

	// Frappe's Text formatter has already turned each newline into <br>: keep that one tag.
	const text_as_text = (value) => as_text(value).replace(/&lt;br&gt;/g, "<br>");

	for (const doctype of [
		"SMS Log",
		"SMS Log Recipient",
		"SMS Log Daily Total",
		"SMS Send Refusal",
		"SMS Delivery Report",
	]) {
		for (const df of Object.values(frappe.meta.docfield_map[doctype] || {})) {
			if (df.ignore_xss_filter) {
				df.formatter = df.fieldtype === "Data" ? data_as_text : text_as_text;
			}
		}
	}
})();
