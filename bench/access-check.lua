-- wrk script: POST /api/v1/access/check as the enforcer for a random one of GRANTS resources.
local token = os.getenv("ENFORCER_TOKEN") or "none"
local grants = tonumber(os.getenv("GRANTS") or "10000")
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}

function request()
    local body = string.format('{"operator":"bench-eng","resource_id":"/subscriptions/bench/vm-%d",'
        .. '"access_level":"read"}', math.random(0, grants - 1))
    return wrk.format("POST", "/api/v1/access/check", headers, body)
end

function done(summary, latency, requests)
    io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        summary.errors.status))
end
