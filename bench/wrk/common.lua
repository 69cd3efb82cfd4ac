-- Shared by the wrk scripts of bench/run.sh: per-thread random seeds, an
-- optional think time (WRK_DELAY_MS, for the half-rate run) and a done()
-- that writes the figures bench/run.sh reads to $WRK_RESULT.
local M = {}

local threads = {}

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function M.init()
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  -- Think time between a response and the next request on a connection,
  -- in ms (fractional values are dithered: wrk's timer has 1 ms steps).
  delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
end

function M.delay()
  local d = delay_ms
  local whole = math.floor(d)
  if math.random() < d - whole then whole = whole + 1 end
  return whole
end

function M.done(summary, latency, requests)
  local path = os.getenv("WRK_RESULT")
  if not path then return end
  local out = assert(io.open(path, "w"))
  local e = summary.errors
  out:write(string.format(
    "requests=%d\nseconds=%.3f\nrps=%.1f\np50_us=%d\np90_us=%d\np99_us=%d\nmax_us=%d\nmean_us=%.0f\n" ..
    "non2xx3xx=%d\nsocket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect + e.read + e.write + e.timeout))
  out:close()
end

-- Installs the shared callbacks as wrk's globals; `delay` only when a
-- think time is asked for (defining it changes how wrk schedules).
function M.install()
  setup = M.setup
  done = M.done
  if os.getenv("WRK_DELAY_MS") then delay = M.delay end
end

return M
