-- wrk script: GET /api/v1/access/authz (nginx auth_request's call) as the enforcer for a random
-- one of GRANTS resources; the operator, resource and method ride in headers, as nginx sends them.
local token = os.getenv("ENFORCER_TOKEN") or "none"
local grants = tonumber(os.getenv("GRANTS") or "10000")

function request()
    local headers = {["Authorization"] = "Bearer " .. token,
                     ["X-Lockbox-Operator"] = "bench-eng",
                     ["X-Lockbox-Resource"] = string.format("/subscriptions/bench/vm-%d",
                                                            math.random(0, grants - 1)),
                     ["X-Original-Method"] = "GET"}
    return wrk.format("GET", "/api/v1/access/authz", headers)
end

function done(summary, latency, requests)
    io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        summary.errors.status))
end
