-- The API key from $TP_KEY as a bearer token on every request.
local key = assert(os.getenv("TP_KEY"), "TP_KEY is not set")
wrk.headers["Authorization"] = "Bearer " .. key
