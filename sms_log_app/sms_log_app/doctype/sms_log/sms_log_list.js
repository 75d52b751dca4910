// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

frappe.listview_settings["SMS Log"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = { Sent: "green", "Partially Sent": "orange", Failed: "red" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
