"""Why a provider refused a send, in words a support agent can act on. Each is translated (ar.csv);
the account-level ones stop a send (no other number can go while they hold)."""

BALANCE = "Balance exhausted: top up the SMS provider account, then resend"
SENDER = (
	"Sender name refused: use a sender name registered with the provider "
	"(a promotional one must end in -AD)"
)
NUMBER = "Number refused by the provider: check that it is a valid mobile number"
DUPLICATE = "Duplicate: the provider refused the same message to the same number again"
CREDENTIALS = (
	"Credentials or IP address refused: check the API key in SMS Settings and the provider's IP list"
)
API_DISABLED = "Sending through the API is disabled on the provider account: enable it there"
UNSUBSCRIBED = (
	"Unsubscribed: the recipient asked the provider to stop SMS from this sender (such as by replying "
	"STOP); recorded as an SMS Opt-Out"
)

ACCOUNT = (BALANCE, SENDER, CREDENTIALS, API_DISABLED)

BY_HTTP_STATUS = {401: CREDENTIALS, 403: CREDENTIALS, 402: BALANCE}
