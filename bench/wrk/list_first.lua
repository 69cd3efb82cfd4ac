-- GET /v1/phone-numbers?limit=50: the first page (newest 50).
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
require("auth")
common.install()
wrk.path = "/v1/phone-numbers?limit=50"

function init(args)
  common.init()
end
