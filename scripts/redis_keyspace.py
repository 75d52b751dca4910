"""Gives a bench Redis databases of its own, and points its common_site_config.json at them.

	redis_keyspace.py <bench dir> <redis URL>

Frappe keeps some values for the whole bench in its Redis cache without a site prefix (the built
assets' file names, `assets_json`, among them) and empties the whole cache database after each asset
build; its job queues keep their bookkeeping in the queue database. Two benches on one Redis must
never share either. Each bench claims two databases, one for the cache and one for the queues (Frappe
v15's realtime events and socket.io server use the queue one; `redis_socketio` points there too).

The claims are a hash in database 0 (never claimed itself, where tools write by default), a database
number to the bench holding it, as `<host name>:<path>`. A database is claimed only while empty and
unclaimed, in one step (a Lua script), so two benches claiming at once cannot take the same one; from
the top down, so that databases 2 and 3, which benches shared before claims, come last. A claim of
this machine whose bench no longer exists is taken over, its database emptied; claims of other
machines on the same Redis are left alone. It runs on every build and reuse of a
bench (scripts/build-bench): a bench keeps the databases it holds, and one built before claims moves
onto its own. Runs with the bench's Python (it has redis).
"""

import json
import os
import socket
import sys
from pathlib import Path

import redis

CLAIMS = "sms_log_app:redis_databases"
ROLES = ("redis_cache", "redis_queue")
# KEYS[1] the claims; ARGV[1] the database, ARGV[2] this bench, ARGV[3] a stale owner to take over from.
CLAIM = """
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner == ARGV[2] then return 1 end
if owner and owner ~= ARGV[3] then return 0 end
redis.call('SELECT', tonumber(ARGV[1]))
local free = true
if owner then redis.call('FLUSHDB') else free = redis.call('DBSIZE') == 0 end
redis.call('SELECT', 0)
if not free then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def database_count(registry: redis.Redis) -> int:
	try:
		return int(registry.config_get("databases")["databases"])
	except (redis.ResponseError, KeyError):
		return 16  # a Redis that hides CONFIG: its default


def is_stale(owner: str) -> bool:
	"""Whether the claim is of a bench of this machine that no longer exists."""
	host, _, path = owner.partition(":")
	return host == socket.gethostname() and not os.path.isdir(path)


def claim_databases(url: str, bench: str) -> list[int]:
	"""The two databases of the bench, claimed where it holds none yet."""
	bench = f"{socket.gethostname()}:{bench}"
	registry = redis.Redis.from_url(f"{url}/0", decode_responses=True)
	owners = registry.hgetall(CLAIMS)
	databases = sorted(int(db) for db, owner in owners.items() if owner == bench)
	for db in range(database_count(registry) - 1, 0, -1):
		if len(databases) >= len(ROLES):
			break
		if db in databases:
			continue
		owner = owners.get(str(db))
		stale = owner if owner and is_stale(owner) else ""
		if registry.eval(CLAIM, 1, CLAIMS, db, bench, stale):
			databases.append(db)
	if len(databases) < len(ROLES):
		owners = registry.hgetall(CLAIMS)
		sys.exit(
			f"redis_keyspace: no {len(ROLES)} free databases on {url} for {bench} (claimed: "
			+ ", ".join(f"{db} by {owner}" for db, owner in sorted(owners.items()))
			+ "; the others are in use). Remove a bench you no longer use (its databases are then taken"
			f" over), or `HDEL {CLAIMS} <database>` in database 0, or set SMS_LOG_REDIS to another Redis."
		)
	return sorted(databases[: len(ROLES)])


def main(bench_dir: str, url: str):
	bench = str(Path(bench_dir).resolve())
	url = url.rstrip("/")
	cache_db, queue_db = claim_databases(url, bench)
	config_file = Path(bench, "sites", "common_site_config.json")
	config = json.loads(config_file.read_text()) if config_file.exists() else {}
	wanted = {
		"redis_cache": f"{url}/{cache_db}",
		"redis_queue": f"{url}/{queue_db}",
		"redis_socketio": f"{url}/{queue_db}",
	}
	if any(config.get(key) != value for key, value in wanted.items()):
		config.update(wanted)
		config_file.write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")
		print(
			f"redis_keyspace: {bench} uses databases {cache_db} (cache) and {queue_db} (queue)",
			file=sys.stderr,
		)


if __name__ == "__main__":
	main(*sys.argv[1:])
