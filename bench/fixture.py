#!/usr/bin/env python3
"""Sets up what the benchmarks act on and prints it as shell variable assignments.

A tenant (lockbox on, one approval), its admin's token, a support engineer with an MFA session
(isolated identity, so requests go straight to the customer), an enforcer and a ticket.
"""
import base64, hashlib, hmac, json, struct, sys, time, urllib.request

base, token_file = sys.argv[1], sys.argv[2]
admin = open(token_file).read().strip()


def call(method, path, body=None, token=admin):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def totp(secret):
    counter = int(time.time()) // 30
    mac = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


eng = call("POST", "/api/v1/users", {"username": "bench-eng", "password": "bench-password",
           "email": "eng@bench.test", "roles": ["support_engineer"],
           "isolated_identity": True, "totp": True})
call("POST", "/api/v1/users", {"username": "bench-enforcer", "password": "bench-password",
     "email": "enf@bench.test", "roles": ["enforcer"]})
tenant = call("POST", "/api/v1/tenants", {"name": "bench", "plan": "premier",
              "resource_scopes": ["/subscriptions"],
              "admin": {"username": "bench-admin", "password": "bench-password",
                        "email": "admin@bench.test"}})
tadmin = call("POST", "/api/v1/login", {"username": "bench-admin",
              "password": "bench-password"}, token=None)["token"]
engtok = call("POST", "/api/v1/login", {"username": "bench-eng", "password": "bench-password",
              "totp_code": totp(eng["totp_secret"])}, token=None)["token"]
enftok = call("POST", "/api/v1/login", {"username": "bench-enforcer",
              "password": "bench-password"}, token=None)["token"]
ticket = call("POST", "/api/v1/tenants/%s/tickets" % tenant["id"],
              {"title": "bench", "description": "benchmark ticket"}, token=tadmin)
print("TENANT_ID=%s TICKET_ID=%s ENG_TOKEN=%s ADMIN_TOKEN=%s ENFORCER_TOKEN=%s" %
      (tenant["id"], ticket["id"], engtok, tadmin, enftok))
