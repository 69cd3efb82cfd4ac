-- GET /v1/phone-numbers?limit=50&cursor=$BENCH_DEEP_CURSOR: the page at
-- depth ~1,000,000 (the cursor is built by bench/run.sh from the row at
-- that depth).
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
require("auth")
common.install()
wrk.path = "/v1/phone-numbers?limit=50&cursor=" .. assert(os.getenv("BENCH_DEEP_CURSOR"))

function init(args)
  common.init()
end
