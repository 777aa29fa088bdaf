"""Schemathesis hooks for `scripts/fuzz.ts` (loaded through SCHEMATHESIS_HOOKS).

What a schema cannot say, supplied by the run:

- A cursor (`?cursor=` of GET /api/customers and /api/referrals) is only valid as the API answered
  it (its base64url JSON names a row and the sort order): any other string of the documented
  alphabet is a 400 invalid_cursor. A generated cursor that fits the schema is replaced with a
  real one of the same list and sort (FUZZ_CURSORS, read from the seeded lists), so positive
  cases page by keyset instead of being refused; one that does not fit stays, for the negative
  cases.
- Booking webhooks are signed (Standard Webhooks, BOOKING_WEBHOOK_SECRET): every generated
  request to POST /api/webhooks/bookings is signed over the body exactly as it is sent, so the
  fuzzer reaches the webhook's handling instead of stopping at 401 (a case without its webhook-id
  header stays unsigned). The signature check has tests of its own (test/webhooks.test.ts).

And one answer that is not the API's: a request line or headers over Node's 16 KB
(`--max-http-header-size`) are refused by Node's HTTP parser with a 431 before any route sees
them, in Fastify's default client-error body. Negative cases with several over-long query
parameters reach it; their failures are dropped (`filter_failure`), as long as the API leaves
client errors to Fastify's default handler (a `clientErrorHandler` in api/app.ts would answer
them in the error shape; then document 431 and drop this).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time

import schemathesis

CURSORS = json.loads(os.environ.get("FUZZ_CURSORS", "{}"))
WEBHOOK_SECRET = os.environ.get("FUZZ_WEBHOOK_SECRET", "")
CURSOR_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,300}$")


def use_real_cursor(case):
    real = CURSORS.get(case.operation.path)
    query = case.query
    if not real or not isinstance(query, dict):
        return
    cursor = query.get("cursor")
    if isinstance(cursor, str) and CURSOR_PATTERN.match(cursor):
        sort = query.get("sort")
        query["cursor"] = real[sort if isinstance(sort, str) and sort in real else "newest"]


def sign_webhook(case):
    headers = dict(case.headers or {})  # a case-insensitive mapping, not always a dict
    webhook_id = headers.get("webhook-id")
    if not isinstance(webhook_id, str) or not webhook_id:
        return  # a case without its required header stays one (401)
    try:
        # as requests serialises `json=`: json.dumps with its defaults, NaN refused
        body = json.dumps(case.body, allow_nan=False)
    except (TypeError, ValueError):
        return  # not JSON (a negative case): sent unsigned
    timestamp = str(int(time.time()))
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    case.headers = {
        **headers,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


@schemathesis.hook
def before_call(context, case, kwargs):
    # every phase's requests pass here (stateful steps and the coverage phase included)
    use_real_cursor(case)
    if case.operation.path == "/api/webhooks/bookings" and WEBHOOK_SECRET:
        sign_webhook(case)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    return response.status_code != 431  # see the module's docstring
