-- GET /v1/phone-numbers/{id} for a random id in 1..$BENCH_MAX_ID.
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
require("auth")
common.install()
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1000000")

function init(args)
  common.init()
end

function request()
  return wrk.format("GET", "/v1/phone-numbers/" .. math.random(1, max_id))
end
