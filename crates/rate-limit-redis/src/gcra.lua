-- One step of the generic cell rate algorithm (GCRA) on one bucket,
-- atomic because Redis runs a script alone.
--
-- KEYS[1]  the bucket
-- ARGV[1]  microseconds between two tokens (1 s / rate)
-- ARGV[2]  the burst: most tokens the bucket holds
--
-- The bucket holds one number, its theoretical arrival time (TAT): the
-- moment, in microseconds, at which it will be full again. Time is
-- Redis's own clock, so instances whose clocks disagree still agree here.
-- The key expires when the bucket is full, so idle keys cost nothing.
--
-- Returns {admitted (1|0), tokens left, microseconds until a token is
-- there (when refused), microseconds until the bucket is full}.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if allow_at > now then
  return {0, 0, allow_at - now, tat - now}
end
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return {1, math.floor((now + interval * burst - new_tat) / interval), 0, new_tat - now}
