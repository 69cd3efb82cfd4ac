-- POST /v1/phone-numbers with an empty JSON body (no preference: any
-- area code of the demo pool).
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
require("auth")
common.install()
wrk.method = "POST"
wrk.path = "/v1/phone-numbers"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "{}"

function init(args)
  common.init()
end
