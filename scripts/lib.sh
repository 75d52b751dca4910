# shellcheck shell=bash
# Shell functions shared by .ci/run, scripts/try and development: source it, then set `bench_dir`.
# They run Frappe's own CLI (what `bench` runs), which works as root and as any other user.

app_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_dir=${SMS_LOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sms_log_app}
mariadb_root=(mariadb --host=127.0.0.1 --user=root ${MARIADB_ROOT_PASSWORD:+--password="$MARIADB_ROOT_PASSWORD"})

frappe_cli() {
	# `bench <args>` for the bench at $bench_dir, with this checkout's app first on the path, and the
	# yarn that scripts/build-bench installs where there is no global one (Frappe's asset build calls it)
	(cd "${bench_dir:?set bench_dir first}/sites" && PATH="$cache_dir/tools/node_modules/.bin:$PATH" \
		PYTHONPATH="$app_dir${PYTHONPATH:+:$PYTHONPATH}" \
		exec "$bench_dir/env/bin/python" -m frappe.utils.bench_helper frappe "$@" </dev/null)
}

free_port() {
	# A TCP port of 127.0.0.1 that nothing listens on now
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve_bench() {
	# serve_bench <port> [gunicorn option ...]: the bench's sites on 127.0.0.1:<port>, as production
	# serves Frappe (gunicorn; `bench serve` listens on every interface), the site chosen by the host
	# name; the caller runs it in the background and stops it
	local port=$1
	shift
	cd "$bench_dir/sites" && PYTHONPATH="$app_dir" exec "$bench_dir/env/bin/gunicorn" --bind "127.0.0.1:$port" \
		--workers 2 --timeout 120 --graceful-timeout 10 "$@" "frappe.app:application_with_statics()"
}

link_app() {
	# Make this checkout the bench's sms_log_app (assets are built from apps/), and list it in apps.txt.
	ln -sfn "$app_dir" "$bench_dir/apps/sms_log_app"
	grep -qx sms_log_app "$bench_dir/sites/apps.txt" || echo sms_log_app >>"$bench_dir/sites/apps.txt"
}

prepare_mariadb() {
	# Frappe's new-site wants utf8mb4 server defaults and a superuser with a password (the machine's
	# root may have none). Sets db_user and db_password; the user is kept for later runs to reuse.
	# Each cache has a user of its own, so that runs from different caches never reset each other's.
	local password_file="$cache_dir/db_password"
	db_user=${SMS_LOG_DB_USER:-sms_log_$(echo "$password_file" | sha256sum | cut -c1-8)}
	mkdir -p "$(dirname "$password_file")"
	[[ -s "$password_file" ]] || (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(16))' >"$password_file")
	db_password=$(cat "$password_file")
	local charset collation host
	read -r charset collation < <("${mariadb_root[@]}" -N -e "SELECT @@character_set_server, @@collation_server")
	if [[ "$charset $collation" != "utf8mb4 utf8mb4_unicode_ci" ]]; then
		"${mariadb_root[@]}" -e "SET GLOBAL character_set_server = 'utf8mb4'; SET GLOBAL collation_server = 'utf8mb4_unicode_ci'"
	fi
	for host in 127.0.0.1 localhost; do
		"${mariadb_root[@]}" -e "CREATE OR REPLACE USER '$db_user'@'$host' IDENTIFIED BY '$db_password';
			GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'$host' WITH GRANT OPTION;"
	done
}

new_site() {
	# new_site <site> [app ...]: a new site (replacing one of that name) with the apps installed.
	local site=$1
	shift
	frappe_cli new-site "$site" --force --admin-password admin \
		--db-root-username "$db_user" --db-root-password "$db_password" "${@/#/--install-app=}"
	frappe_cli --site "$site" set-config allow_tests true
	# new-site can end with status 0 when an app failed to install
	local installed app
	installed=$(frappe_cli --site "$site" list-apps)
	for app in "$@"; do
		grep -qw "^$app" <<<"$installed" || { echo "new_site: $app did not install on $site" >&2; return 1; }
	done
}

drop_site() {
	frappe_cli drop-site "$1" --force --no-backup --db-root-username "$db_user" --db-root-password "$db_password"
	rm -rf "$bench_dir/archived/sites/$1"* "$bench_dir/archived_sites/$1"*
}
