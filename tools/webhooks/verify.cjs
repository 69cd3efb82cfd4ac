// Verifies one webhook with Node's `standardwebhooks` (see official-verify).
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const body = fs.readFileSync(process.env.WEBHOOK_BODY);
const headers = {
  "webhook-id": process.env.WEBHOOK_ID,
  "webhook-timestamp": process.env.WEBHOOK_TIMESTAMP,
  "webhook-signature": process.env.WEBHOOK_SIGNATURE,
};
try {
  new Webhook(process.env.WEBHOOK_SECRET).verify(body, headers);
} catch (e) {
  console.error(`node standardwebhooks: refused: ${e.message}`);
  process.exit(1);
}
console.log("node standardwebhooks: verified");
