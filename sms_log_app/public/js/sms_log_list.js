// Copyright (c) 2026, Dafater and contributors
// For license information, please see license.txt

const SMS_LOG_EXCERPT_LENGTH = 80;

frappe.listview_settings["SMS Log"] = {
	add_fields: ["status", "noofrequested_sms", "noofsent_sms", "recipients_done", "owner"],
	hide_name_column: true,

	get_indicator(doc) {
		let label = __(doc.status);
		if (doc.status === "Queued" && doc.noofrequested_sms) {
			// a bulk send's progress, as its jobs record each batch
			label += ` ${Math.floor((100 * (doc.recipients_done || 0)) / doc.noofrequested_sms)}%`;
		}
		return [
			label,
			frappe.boot.sms_log_status_colors[doc.status] || "gray",
			"status,=," + doc.status,
		];
	},

	formatters: {
		title(value, df, doc) {
			// the sender name (as text, the log's title) may be one a user chose: show the user who
			// sent the SMS beside it
			const sender = frappe.utils.escape_html(value || "");
			const user = frappe.utils.escape_html(doc.owner || "");
			return `<span class="ellipsis" title="${__("Sent by {0}", [user])}">${sender}
				<span class="text-muted">· ${user}</span></span>`;
		},
		message(value) {
			const text = (value || "").replace(/\s+/g, " ").trim();
			const excerpt =
				text.length > SMS_LOG_EXCERPT_LENGTH
					? text.slice(0, SMS_LOG_EXCERPT_LENGTH) + "…"
					: text;
			return `<span class="ellipsis" title="${frappe.utils.escape_html(
				text
			)}">${frappe.utils.escape_html(excerpt)}</span>`;
		},
		requested_numbers(value, df, doc) {
			const numbers = (value || "").split("\n").filter(Boolean);
			let summary = numbers[0] || "";
			if (numbers.length > 1) {
				summary += " " + __("and {0} more", [numbers.length - 1]);
			}
			if (doc.noofsent_sms < doc.noofrequested_sms) {
				summary +=
					" · " + __("{0} of {1} sent", [doc.noofsent_sms, doc.noofrequested_sms]);
			}
			return `<span class="ellipsis" title="${frappe.utils.escape_html(
				numbers.join(", ")
			)}">${frappe.utils.escape_html(summary)}</span>`;
		},
	},

	onload(listview) {
		// reportview.get, but a number's newest logs come from its recipients' index
		listview.method = "sms_log_app.phone_search.get_list_page";
		add_phone_number_search(listview);
		// The title is the list's subject, which Desk writes as text: the formatter's HTML
		// (escaped, for the columns Desk writes as HTML) is read back to the text it shows.
		const get_subject_text = listview.get_subject_text.bind(listview);
		listview.get_subject_text = (doc, title) =>
			frappe.utils.html2text(String(get_subject_text(doc, title) ?? ""));
	},
};

// A box beside the standard filters that finds the logs sent to a number, however it is typed:
// the server reads it as SMS Log Recipient.normalized_number stores it (E.164).
function add_phone_number_search(listview) {
	const control = frappe.ui.form.make_control({
		df: {
			fieldtype: "Data",
			fieldname: "sms_log_phone_number",
			label: __("Phone Number"),
			placeholder: __("Phone Number"),
			input_class: "input-xs",
			change() {
				apply_phone_number_filter(listview, control.get_value());
			},
		},
		parent: listview.filter_area.standard_filters_wrapper,
		only_input: true,
	});
	control.refresh();
	$(control.wrapper)
		.addClass("col-md-2 sms-log-phone-search")
		.attr("title", __("Find the logs sent to a phone number, in any format"));
	control.$input.attr("placeholder", __("Phone Number"));
}

async function apply_phone_number_filter(listview, number) {
	const filter_area = listview.filter_area;
	if (filter_area.filter_list.get_filter("normalized_number")) {
		await filter_area.remove("normalized_number");
	}
	if (!number) return;

	const e164 = await frappe.xcall("sms_log_app.phone_search.normalize_number", { number });
	if (!e164) {
		frappe.show_alert({
			message: __("{0} is not a phone number", [frappe.utils.escape_html(number)]),
			indicator: "orange",
		});
		return;
	}
	await filter_area.add([["SMS Log Recipient", "normalized_number", "=", e164]]);
}
