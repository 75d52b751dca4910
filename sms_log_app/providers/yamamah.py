"""Yamamah: an HTTP API with a `RecepientNumber` list, reached from an IP allow-list.

Its answer format could not be confirmed (../shared/GATEWAYS.md: not found), so whether a number was
taken is the administrator's rule in SMS Log Settings, as for Custom; the endpoint and field names
below are GATEWAYS.md's and must be checked against the contract Yamamah gives its customers.
Balance: not asked; GATEWAYS.md's `GetCredit` could not be confirmed either.
"""

from sms_log_app.providers.base import Defaults, Parameter, international_digits
from sms_log_app.providers.custom import Custom


class Yamamah(Custom):
	name = "Yamamah"
	sender_parameter = "Tagname"
	defaults = Defaults(
		url="https://api.yamamah.com/SendSMS",
		message_parameter="SMSText",
		receiver_parameter="RecepientNumber",
		parameters=(
			Parameter("Username"),
			Parameter("Password"),
			Parameter("Tagname"),
			Parameter("Content-Type", "application/json", header=True),
		),
	)
	secret_parameters = ("Password",)

	def recipients(self, numbers):
		return ",".join(international_digits(n) for n in numbers)

	def is_secret(self, parameter):
		return parameter.lower() == "password"
