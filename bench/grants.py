#!/usr/bin/env python3
"""Creates and approves N requests with C concurrent clients: N active grants for bench-eng.

Resource ids are /subscriptions/bench/vm-<i>; prints the wall time taken."""
import http.client, json, os, sys, threading, time, urllib.parse

base, total, clients = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 16
u = urllib.parse.urlparse(base)
lock = threading.Lock()
next_i = [0]
failures = []


def worker():
    conn = http.client.HTTPConnection(u.hostname, u.port)

    def post(path, body, token):
        conn.request("POST", path, json.dumps(body),
                     {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())

    while True:
        with lock:
            i = next_i[0]
            next_i[0] += 1
        if i >= total:
            return
        s, req = post("/api/v1/requests", {
            "tenant_id": os.environ["TENANT_ID"], "ticket_id": os.environ["TICKET_ID"],
            "resource_type": "vm.remote_access", "resource_ids": ["/subscriptions/bench/vm-%d" % i],
            "access_level": "write", "justification": "benchmark grant"}, os.environ["ENG_TOKEN"])
        if s != 201:
            failures.append(req)
            return
        s, r = post("/api/v1/requests/%s/decision" % req["id"], {"decision": "approve"},
                    os.environ["ADMIN_TOKEN"])
        if s != 200 or r["status"] != "approved":
            failures.append(r)
            return


start = time.time()
threads = [threading.Thread(target=worker) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit("grants.py: %s" % failures[0])
print("created %d active grants in %.1f s" % (total, time.time() - start))
