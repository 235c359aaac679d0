#!/usr/bin/env python3
"""Runs N create+approve lifecycles one after another over one keep-alive connection."""
import http.client, json, os, sys, urllib.parse

base, n = sys.argv[1], int(sys.argv[2])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)


def post(path, body, token):
    conn.request("POST", path, json.dumps(body),
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())


for i in range(n):
    s, req = post("/api/v1/requests", {
        "tenant_id": os.environ["TENANT_ID"], "ticket_id": os.environ["TICKET_ID"],
        "resource_type": "vm.remote_access", "resource_ids": ["/subscriptions/seq/vm-%d" % i],
        "access_level": "read", "justification": "benchmark"}, os.environ["ENG_TOKEN"])
    assert s == 201, req
    s, r = post("/api/v1/requests/%s/decision" % req["id"], {"decision": "approve"},
                os.environ["ADMIN_TOKEN"])
    assert s == 200 and r["status"] == "approved", r
