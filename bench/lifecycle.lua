-- wrk script: each connection creates a request as the engineer, then approves a created one
-- as the tenant admin. A lifecycle is complete when its approval answers 200.
local tenant, ticket = os.getenv("TENANT_ID"), os.getenv("TICKET_ID")
local eng, admin = os.getenv("ENG_TOKEN"), os.getenv("ADMIN_TOKEN")
local threads = {}
queue, created, approved, errors, counter = {}, 0, 0, 0, 0
local last_kind

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    math.randomseed(os.time() * 1000 + id)
end

function request()
    local n = #queue
    if n > 0 then
        local rid = table.remove(queue)
        last_kind = "approve"
        return wrk.format("POST", "/api/v1/requests/" .. rid .. "/decision",
            {["Authorization"] = "Bearer " .. admin, ["Content-Type"] = "application/json"},
            '{"decision":"approve"}')
    end
    counter = counter + 1
    last_kind = "create"
    local body = string.format('{"tenant_id":"%s","ticket_id":"%s","resource_type":"vm.remote_access",'
        .. '"resource_ids":["/subscriptions/bench/vm-%d-%d"],"access_level":"read",'
        .. '"justification":"benchmark"}', tenant, ticket, id, counter)
    return wrk.format("POST", "/api/v1/requests",
        {["Authorization"] = "Bearer " .. eng, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
    if status == 201 then
        local rid = body:match('"id":"([0-9a-f%-]+)"')
        created = created + 1
        if rid then table.insert(queue, rid) end
    elseif status == 200 and body:find('"status":"approved"', 1, true) then
        approved = approved + 1
    else
        errors = errors + 1
    end
end

function done(summary, latency, requests)
    local a, c, e = 0, 0, 0
    for _, t in ipairs(threads) do
        a = a + t:get("approved"); c = c + t:get("created"); e = e + t:get("errors")
    end
    local secs = summary.duration / 1e6
    io.write(string.format("lifecycles: %d complete in %.1f s = %.0f per second (created %d, errors %d)\n",
        a, secs, a / secs, c, e))
    io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n",
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
