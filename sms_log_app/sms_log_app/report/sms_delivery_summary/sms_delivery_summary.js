// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

frappe.query_reports["SMS Delivery Summary"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -29),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "sender",
			label: __("Sender Name"),
			fieldtype: "Data",
		},
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: [
				"",
				"Sent",
				"Partially Sent",
				"Failed",
				"Delivered",
				"Partially Delivered",
				"Undelivered",
				"Unconfirmed",
				"Sending",
				"Queued",
				"Scheduled",
				"Cancelled",
				"Not Sent",
			],
		},
		{
			fieldname: "message_class",
			label: __("Message Class"),
			fieldtype: "Select",
			options: ["", "OTP", "Transactional", "Promotional"],
		},
	],
	onload(report) {
		// A day a bar: Frappe's report page sets the chart's axis options itself, and without
		// xIsSeries Frappe Charts cuts every one of the 30 dates down to "...". As a series, the
		// dates it has room for are shown whole. The page serves every report: this one only, and
		// wrapped once.
		if (report.sms_log_dates_as_series) return;
		report.sms_log_dates_as_series = true;
		const render_chart = report.render_chart.bind(report);
		report.render_chart = (options) =>
			render_chart(
				report.report_name === "SMS Delivery Summary"
					? { ...options, axisOptions: { ...options.axisOptions, xIsSeries: 1 } }
					: options
			);
	},
	formatter(value, row, column, data, default_formatter) {
		// Anyone who may send an SMS chooses its sender name: show it as text, never as HTML.
		if (column.fieldname === "sender_name" && typeof value === "string") {
			value = frappe.utils.escape_html(value);
		}
		return default_formatter(value, row, column, data);
	},
};
