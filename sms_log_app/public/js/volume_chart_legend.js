// The SMS Logs workspace's chart, SMS Daily Volume by Status, has a legend entry per status (twelve).
// Frappe Charts lays a legend out in 150 px slots, one slot more to a row than fits, in a chart one row
// high: entries ran past the chart's right edge ("Unc...") and the second row was cut off below. For
// this chart only, the entries are laid out again, each as wide as its label, in rows that fit, and the
// chart grows by the rows added. Its labels are whole (truncateLegends: 0 in its custom options).
(() => {
	const CHART = "SMS Daily Volume by Status";
	const ROW_HEIGHT = 30; // Frappe Charts' legend row
	const GAP = 24;
	const ChartWidget = frappe.widget?.widget_factory?.chart;
	if (!ChartWidget) return;

	// The widget makes its chart right after it asks for the chart's options, in the same task
	const get_chart_args = ChartWidget.prototype.get_chart_args;
	ChartWidget.prototype.get_chart_args = function (...args) {
		if (this.chart_doc?.name === CHART)
			queueMicrotask(() => fit_legend_on_every_draw(this.dashboard_chart));
		return get_chart_args.apply(this, args);
	};

	function fit_legend_on_every_draw(chart) {
		if (!chart || chart.sms_log_fits_legend) return;
		chart.sms_log_fits_legend = true;
		const render_legend = chart.renderLegend.bind(chart);
		chart.renderLegend = (...args) => {
			render_legend(...args);
			fit_legend(chart);
		};
		chart.draw(true);
	}

	function fit_legend(chart) {
		const legend = chart.legendArea;
		if (!legend || !legend.isConnected) return;
		const left = legend.transform.baseVal.consolidate()?.matrix.e || 0;
		const room = chart.baseWidth - left - (chart.measures?.margins?.right || 0);
		let x = 0;
		let y = 0;
		for (const entry of legend.children) {
			const width = entry.getBBox().width;
			if (!width) return; // not laid out (a hidden tab): leave Frappe Charts' layout
			if (x && x + width > room) {
				x = 0;
				y += ROW_HEIGHT;
			}
			entry.setAttribute("transform", `translate(${x}, ${y})`);
			x += width + GAP;
		}
		chart.svg.setAttribute("height", chart.baseHeight + y);
	}
})();
