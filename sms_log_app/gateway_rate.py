"""One rate limit to the gateway for the whole site: *Gateway Messages per Second* holds across every
send, synchronous or in a job, on every worker and machine at once.

Each request takes the next free slot from one Redis key (a Lua script, so atomic, on Redis's own
clock, so machines whose clocks differ agree) and sleeps until it. Slots are MARGIN apart times the
rate's interval: what happens between a request's slot and its arrival at the gateway (a thread
waking late, a new connection) then never puts more than the rate into any second at the gateway.

A one-time code goes first: it never waits for the slots other sends hold (a bulk send's threads hold
up to *Parallel Requests* of them), it takes the next free slot's place and moves every later send
back by one. Slots handed out already keep their time, so the second an OTP goes out in may carry
one request more than the rate. An HTTP 429 holds every request of the site back for its
Retry-After (`hold`), with or without a rate.

A thread that wakes much later than its slot (a loaded machine) would still bunch up with the ones
after it, so the slot is not the last word: a request then takes its messages' places in a window of
what actually went out in the last MARGIN seconds (a sorted set, on the same clock), and waits while
that window holds the rate's worth. Slots keep the requests evenly spaced; the window holds the limit
when they are not, with the same margin for what happens between a request's place and its arrival.
"""

import time

import frappe

MARGIN = 1.1

# KEYS: the next free slot; ARGV: seconds the request's slots take (0: hold only), and 1 for a send
# that goes first. Returns the seconds to wait, as text (Redis would cut a number to an integer).
TAKE_SLOT = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if tonumber(ARGV[1]) > 0 or slot > now then
	redis.call('SET', KEYS[1], string.format('%.6f', slot + tonumber(ARGV[1])), 'EX', 60)
end
if ARGV[2] == '1' then
	return '0'
end
return string.format('%.6f', slot - now)
"""
# KEYS: the window of the last MARGIN seconds' messages; ARGV: the messages a second, the request's
# messages, a name unique to the request, 1 for a send that goes first (it takes its places whatever
# the count), and the window's length. Returns the seconds to wait before asking again, as text; '0'
# once the places are taken.
TAKE_PLACES = """
redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local limit, messages, span = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - span))
local count = redis.call('ZCARD', KEYS[1])
if ARGV[4] ~= '1' and count > 0 and count + messages > limit then
	-- wait until enough of the oldest places have left the window (all of them, for a request
	-- bigger than the limit)
	local leaving = math.min(math.ceil(count + messages - limit), count)
	local oldest = redis.call('ZRANGE', KEYS[1], leaving - 1, leaving - 1, 'WITHSCORES')
	return string.format('%.6f', math.max(tonumber(oldest[2]) + span - now, 0.001))
end
for i = 1, messages do
	redis.call('ZADD', KEYS[1], string.format('%.6f', now), ARGV[3] .. ':' .. i)
end
redis.call('EXPIRE', KEYS[1], 5)
return '0'
"""
# KEYS: the next free slot; ARGV: seconds from now before which no request may go.
HOLD = """
redis.replicate_commands()
local clock = redis.call('TIME')
local until_ = tonumber(clock[1]) + tonumber(clock[2]) / 1000000 + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '0') then
	redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', 60 + math.ceil(tonumber(ARGV[1])))
end
"""


class SiteRate:
	"""Waits, in any thread, until the site may send its next request (`per_second` 0: at once); a
	request of many numbers takes a slot per number, as providers count messages."""

	def __init__(self, per_second: float):
		self.per_second = per_second
		self.interval = MARGIN / per_second if per_second else 0
		self.key = frappe.cache.make_key("sms_log_app:gateway_slot")
		self.window = frappe.cache.make_key("sms_log_app:gateway_window")
		self.take_slot = frappe.cache.register_script(TAKE_SLOT)
		self.take_places = frappe.cache.register_script(TAKE_PLACES)
		self.hold_slots = frappe.cache.register_script(HOLD)

	def wait(self, messages: int = 1, first: bool = False):
		"""Wait for the slots of a request of `messages` numbers; `first` (a one-time code): take them at
		once (see above)."""
		delay = float(self.take_slot(keys=[self.key], args=[self.interval * messages, int(first)]))
		if delay > 0:
			time.sleep(delay)
		if not self.per_second:
			return
		request = frappe.generate_hash(length=12)
		while (
			delay := float(
				self.take_places(
					keys=[self.window], args=[self.per_second, messages, request, int(first), MARGIN]
				)
			)
		) > 0:
			time.sleep(delay)

	def hold(self, seconds: float):
		"""No request of the site before `seconds` from now (the gateway answered HTTP 429)."""
		self.hold_slots(keys=[self.key], args=[max(seconds, 0.1)])
