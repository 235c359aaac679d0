#!/usr/bin/env python3
"""bench/notify's measurements against a running lockboxd whose [smtp] url is our server.

1. Throughput: REQUESTS requests, each mailed to RECIPIENTS addresses, made from 8 connections
   as fast as the API takes them (faster than mail goes out, so the queue fills); notifications
   per second = mails / (last arrival - first request).
2. Idle delay: one request at a time, the time from the API's 201 to the mail's arrival.
"""
import http.client, json, os, statistics, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "blackbox"))
from smtp_server import SMTPServer  # noqa: E402

base, smtp_port = sys.argv[1], int(sys.argv[2])
REQUESTS = int(os.environ.get("REQUESTS", "500"))
RECIPIENTS = 4  # the tenant admin and three notification addresses
u = urllib.parse.urlparse(base)
local = threading.local()
smtp = SMTPServer(port=smtp_port).start()


def call(method, path, body, token):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(u.hostname, u.port)
    local.conn.request(method, path, json.dumps(body),
                       {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = local.conn.getresponse()
    return r.status, json.loads(r.read())


def create(i):
    s, q = call("POST", "/api/v1/requests", {
        "tenant_id": os.environ["TENANT_ID"], "ticket_id": os.environ["TICKET_ID"],
        "resource_type": "vm.remote_access", "resource_ids": ["/subscriptions/n/vm-%d" % i],
        "access_level": "read", "justification": "benchmark"}, os.environ["ENG_TOKEN"])
    assert s == 201 and q["status"] == "pending", q
    return q["id"]


s, _ = call("PATCH", "/api/v1/tenants/%s/settings" % os.environ["TENANT_ID"],
            {"notification_emails": ["a@bench.test", "b@bench.test", "c@bench.test"]},
            os.environ["ADMIN_TOKEN"])
assert s == 200

want = REQUESTS * RECIPIENTS
t0 = time.time()
workers = [threading.Thread(target=lambda k=k: [create(i) for i in range(k, REQUESTS, 8)])
           for k in range(8)]
for t in workers:
    t.start()
for t in workers:
    t.join()
made = time.time() - t0
deadline = time.time() + 120
while len(smtp.received()) < want and time.time() < deadline:
    time.sleep(0.01)
elapsed = time.time() - t0
got = len(smtp.received())
print("throughput: %d mails (%d requests x %d recipients) delivered in %.2f s: %.0f notifications/s"
      " (requests made in %.2f s); %d SMTP connections" %
      (got, REQUESTS, RECIPIENTS, elapsed, got / elapsed, made, smtp.connections))
if got < want:
    print("WARNING: only %d of %d mails arrived within 120 s" % (got, want))

delays = []
for i in range(30):
    before = len(smtp.received())
    t = time.time()
    create(REQUESTS + i)
    while len(smtp.received()) < before + RECIPIENTS and time.time() - t < 10:
        time.sleep(0.0005)
    delays.append(time.time() - t)
    time.sleep(0.2)
delays.sort()
print("idle delay, commit to the last of 4 mails received: p50 %.1f ms, p90 %.1f ms, max %.1f ms"
      " (target < 1000 ms)" % (1000 * statistics.median(delays),
                               1000 * delays[int(len(delays) * 0.9)], 1000 * delays[-1]))
smtp.stop()
