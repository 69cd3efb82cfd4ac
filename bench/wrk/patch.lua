-- PATCH /v1/phone-numbers/{random id}: assign agent 1 or 2 as inbound
-- agent, or clear it (null), chosen at random.
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
require("auth")
common.install()
wrk.headers["Content-Type"] = "application/json"
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1000000")
local bodies = {
  '{"inbound_agent_id": 1}',
  '{"inbound_agent_id": 2}',
  '{"inbound_agent_id": null}',
}

function init(args)
  common.init()
end

function request()
  return wrk.format("PATCH", "/v1/phone-numbers/" .. math.random(1, max_id), nil,
    bodies[math.random(1, #bodies)])
end
