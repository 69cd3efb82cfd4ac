"""Verifies one webhook with Python's `standardwebhooks` (see official-verify)."""
import os
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

with open(os.environ["WEBHOOK_BODY"], "rb") as f:
    body = f.read()
headers = {
    "webhook-id": os.environ["WEBHOOK_ID"],
    "webhook-timestamp": os.environ["WEBHOOK_TIMESTAMP"],
    "webhook-signature": os.environ["WEBHOOK_SIGNATURE"],
}
try:
    Webhook(os.environ["WEBHOOK_SECRET"]).verify(body, headers)
except WebhookVerificationError as e:
    print(f"python standardwebhooks: refused: {e}", file=sys.stderr)
    sys.exit(1)
print("python standardwebhooks: verified")
