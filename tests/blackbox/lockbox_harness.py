"""The black-box harness: a real lockboxd process, an HTTP client and counted assertions.

Standard library only, so the tests need nothing beyond Debian's python3.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

from smtp_server import SMTPServer

PASSWORD = "correct horse battery"


class Skip(Exception):
    """Raised by a case that cannot run here (say, one that must mount a file system as root):
    the runner reports it skipped (exit 77, CTest's SKIP_RETURN_CODE), not passed."""


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self):
        self.passed += 1

    def fail(self, msg):
        self.failed += 1
        print("FAIL: " + msg)


class Server:
    """One lockboxd on a temporary data dir, on a port the kernel picks."""

    def __init__(self, binary, extra_args=None, pg_url=None):
        self.binary = os.path.abspath(binary)
        self.tmp = tempfile.mkdtemp(prefix="lockbox-bb-")
        self.data = os.path.join(self.tmp, "data")
        self.logpath = os.path.join(self.tmp, "lockboxd.log")
        self.extra_args = list(extra_args or [])
        self.proc = None
        self.port = None
        self.starts = 0
        # the store: SQLite in the data folder, or a database of its own on a PostgreSQL
        # cluster (pg_url: the cluster's URL, see tests/pg/cluster.sh)
        self.backend = "pg" if pg_url else "sqlite"
        self.pg_cluster = pg_url
        self.store_url = pg_database(pg_url, "create", os.path.basename(self.tmp)) if pg_url \
            else None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, extra_args=None, listen=None):
        args = [self.binary, "--data", self.data, "--listen", listen or "127.0.0.1:0"]
        if self.store_url:
            args += ["--store", self.store_url]
        args += self.extra_args + list(extra_args or [])
        log = open(self.logpath, "a", encoding="utf-8")
        offset = log.tell()
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        self.starts += 1
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lockboxd exited {self.proc.returncode} at start:\n"
                                   + self.log_text(offset))
            m = re.search(r"lockboxd listening .* port=(\d+)", self.log_text(offset))
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.02)
        raise RuntimeError("lockboxd did not start within 20 s")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals lockboxd and waits; answers its exit code (negative: killed by a signal)."""
        if not self.running():
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"lockboxd did not stop within {timeout} s of signal {sig}")

    def restart(self, **kw):
        rc = self.stop()
        if rc != 0:
            raise RuntimeError(f"lockboxd exited {rc} on SIGTERM (want 0)")
        self.start(**kw)

    def configure(self, ini, restart=True):
        """Writes ini as the server's config file (--config) and restarts it with it."""
        path = os.path.join(self.tmp, "lockboxd.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(ini)
        self.extra_args = ["--config", path]
        if restart:
            self.restart()

    def bootstrap_token(self):
        with open(os.path.join(self.data, "bootstrap-token"), encoding="utf-8") as f:
            return f.read().strip()

    def log_text(self, offset=0):
        try:
            with open(self.logpath, encoding="utf-8", errors="replace") as f:
                f.seek(offset)
                return f.read()
        except FileNotFoundError:
            return ""

    def log_lines(self):
        return self.log_text().splitlines()

    def node(self, extra_args=None):
        """Another lockboxd on this one's PostgreSQL database (not started): a node of the same
        group, with a data folder of its own holding a copy of the key that sealed the store
        (a store refuses any other). Its cleanup leaves the database to this server's."""
        if not self.store_url:
            raise RuntimeError("only a PostgreSQL store has nodes")
        other = Server(self.binary, extra_args=self.extra_args + list(extra_args or []))
        other.backend = "pg"
        other.store_url = self.store_url
        os.makedirs(other.data, 0o700)
        shutil.copy(os.path.join(self.data, "secret.key"), other.data)
        return other

    def cleanup(self, keep=False):
        if keep:
            print(f"kept {self.tmp}" + (f" and {self.store_url}" if self.store_url else ""))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.store_url and self.pg_cluster:
                pg_database(self.pg_cluster, "drop", os.path.basename(self.tmp))


def pg_database(cluster_url, verb, tag):
    """Creates (answering its URL) or drops the database of one case on the cluster."""
    name = "lb_" + re.sub(r"[^a-z0-9]", "_", tag.lower())
    sql = f"CREATE DATABASE {name}" if verb == "create" else \
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", cluster_url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"psql: {sql}: {p.stderr.strip()}")
    base, _, query = cluster_url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        if body:
            try:
                self.json = json.loads(body)
            except ValueError:
                pass

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def code(self):
        return self.json.get("code") if isinstance(self.json, dict) else None

    def __getitem__(self, key):
        return self.json[key]

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    def __init__(self, srv, token=None, user=None):
        self.srv = srv
        self.token = token
        self.user = user or {}

    @property
    def id(self):
        return self.user.get("id")

    @property
    def username(self):
        return self.user.get("username")

    def call(self, method, path, body=None, raw=None, headers=None, token=None):
        """One HTTP exchange; body is JSON-encoded, raw is sent as it is."""
        hdrs = {}
        tok = self.token if token is None else token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
            hdrs.setdefault("Content-Type", "application/json")
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def raw(self, head, body=b"", chunks=None):
        """Sends head (request line and headers, without the blank line) and the body as it is,
        or as chunked encoding when chunks is a list; reads what the server answers even when
        it stops reading early (as it should for an oversize body)."""
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        try:
            if self.token:
                head += f"\r\nAuthorization: Bearer {self.token}"
            try:
                s.sendall(head.encode() + b"\r\n\r\n")
                if chunks is not None:
                    for c in chunks:
                        s.sendall(b"%x\r\n" % len(c) + c + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                else:
                    s.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            s.shutdown(socket.SHUT_WR) if chunks is None and not body else None
            data = b""
            try:
                while True:
                    part = s.recv(65536)
                    if not part:
                        break
                    data += part
                    if b"\r\n\r\n" in data:
                        hdr, _, rest = data.partition(b"\r\n\r\n")
                        m = re.search(rb"(?i)content-length: *(\d+)", hdr)
                        if m and len(rest) >= int(m.group(1)):
                            break
            except (ConnectionResetError, socket.timeout):
                pass
        finally:
            s.close()
        hdr, _, rest = data.partition(b"\r\n\r\n")
        lines = hdr.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
        headers = [tuple(x.split(": ", 1)) for x in lines[1:] if ": " in x]
        return Resp(status, headers, rest.decode("utf-8", "replace"))

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body if body is not None else {}, **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def totp(secret_b32, at=None, digits=6, step=30):
    """RFC 6238 with SHA-1, the code for time `at` (default now)."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


class World:
    """Two tenants with every tenant role, and every provider role; each member a Client."""


def scope_for(srv, results, lockbox_cli=None):
    admin = Client(srv, srv.bootstrap_token(), {"username": "admin"})

    def check(cond, msg):
        if cond:
            results.ok()
        else:
            results.fail(msg)
        return bool(cond)

    def eq(got, want, msg):
        return check(got == want, f"{msg}: got {got!r}, want {want!r}")

    def expect(resp, status, msg):
        """resp has this status; a problem answer also has its content type and fields."""
        good = check(resp.status == status, f"{msg}: status {resp!r}, want {status}")
        if status >= 400 and good:
            ctype = resp.header("Content-Type") or ""
            check(ctype.startswith("application/problem+json"),
                  f"{msg}: content type {ctype!r}, want application/problem+json")
            j = resp.json if isinstance(resp.json, dict) else {}
            check(j.get("status") == status and j.get("detail") and j.get("title"),
                  f"{msg}: problem body {resp.body!r}")
        return resp

    def problem(resp, status, code, msg, detail_has=None):
        expect(resp, status, msg)
        eq(resp.code, code, msg + " (code)")
        if detail_has is not None:
            detail = (resp.json or {}).get("detail") or ""
            check(detail_has in detail, f"{msg}: detail {detail!r} should name {detail_has!r}")
        return resp

    def client(token=None, user=None):
        return Client(srv, token, user)

    def login(username, password=PASSWORD, secret=None, at=None):
        body = {"username": username, "password": password}
        if secret:
            body["totp_code"] = totp(secret, at)
        r = Client(srv).post("/api/v1/login", body)
        if r.status != 200:
            raise RuntimeError(f"login {username}: {r!r}")
        return Client(srv, r["token"], r["user"])

    def must(resp, status=None):
        """The answer of a setup step; anything unexpected stops the case."""
        want = status or (201 if resp.status == 201 else 200)
        if resp.status != want:
            raise RuntimeError(f"setup step answered {resp!r}, want {want}")
        return resp.json

    def provider_user(name, roles, isolated=True, with_totp=True):
        body = {"username": name, "password": PASSWORD, "email": f"{name}@provider.example",
                "roles": roles, "isolated_identity": isolated, "totp": with_totp}
        u = must(admin.post("/api/v1/users", body), 201)
        c = login(name, secret=u.get("totp_secret"))
        c.secret = u.get("totp_secret")
        return c

    def tenant(name, plan="standard", scopes=None):
        """A tenant owning scopes (default: /subscriptions/NAME) and its admin's client."""
        body = {"name": name, "plan": plan,
                "resource_scopes": scopes if scopes is not None else [f"/subscriptions/{name}"],
                "admin": {"username": f"{name}-admin", "password": PASSWORD,
                          "email": f"admin@{name}.example"}}
        t = must(admin.post("/api/v1/tenants", body), 201)
        t["admin_client"] = login(f"{name}-admin")
        return t

    def tenant_user(t, name, role=None, scope="/"):
        ta = t["admin_client"]
        body = {"username": name, "password": PASSWORD, "email": f"{name}@tenant.example"}
        u = must(ta.post(f"/api/v1/tenants/{t['id']}/users", body), 201)
        if role:
            must(ta.post(f"/api/v1/tenants/{t['id']}/role-assignments",
                         {"user_id": u["id"], "role": role, "scope": scope}), 201)
        return login(name)

    def ticket(t, by=None, title="VM does not boot"):
        c = by or t["admin_client"]
        return must(c.post(f"/api/v1/tenants/{t['id']}/tickets",
                           {"title": title, "description": "since the update",
                            "severity": "high"}), 201)

    def world(prefix="w"):
        w = World()
        w.eng = provider_user(f"{prefix}-eng", ["support_engineer"])
        w.eng2 = provider_user(f"{prefix}-eng2", ["support_engineer"])
        w.eng_plain = provider_user(f"{prefix}-engplain", ["support_engineer"], isolated=False)
        w.eng_nomfa = provider_user(f"{prefix}-engnomfa", ["support_engineer"], with_totp=False)
        w.reviewer = provider_user(f"{prefix}-reviewer", ["internal_approver"])
        w.enforcer = provider_user(f"{prefix}-enforcer", ["enforcer"], with_totp=False)
        w.pauditor = provider_user(f"{prefix}-pauditor", ["auditor"], with_totp=False)
        w.a = tenant(f"{prefix}-contoso",
                     scopes=["/subscriptions/s1", "/subscriptions/s2", "/subscriptions/s10"])
        w.b = tenant(f"{prefix}-fabrikam", scopes=["/subscriptions/b1"])
        w.a_admin = w.a["admin_client"]
        w.b_admin = w.b["admin_client"]
        w.a_approver = tenant_user(w.a, f"{prefix}-a-approver", "lockbox_approver")
        w.a_approver2 = tenant_user(w.a, f"{prefix}-a-approver2", "lockbox_approver")
        w.a_owner_s1 = tenant_user(w.a, f"{prefix}-a-owner-s1", "owner", "/subscriptions/s1")
        w.a_owner_s10 = tenant_user(w.a, f"{prefix}-a-owner-s10", "owner", "/subscriptions/s10")
        w.a_member = tenant_user(w.a, f"{prefix}-a-member")
        w.a_auditor = tenant_user(w.a, f"{prefix}-a-auditor", "auditor")
        w.b_approver = tenant_user(w.b, f"{prefix}-b-approver", "lockbox_approver")
        w.a_ticket = ticket(w.a)
        w.b_ticket = ticket(w.b)
        return w

    def request(w, by=None, t=None, ticket_=None, level="read", resources=None,
                rtype="vm.remote_access", duration=None, status=201):
        t = t or w.a
        tk = ticket_ or (w.a_ticket if t is w.a else w.b_ticket)
        body = {"tenant_id": t["id"], "ticket_id": tk["id"], "resource_type": rtype,
                "resource_ids": resources or [t["resource_scopes"][0] + "/vms/vm1"],
                "access_level": level, "justification": "investigate the boot failure"}
        if duration is not None:
            body["duration_seconds"] = duration
        return must((by or w.eng).post("/api/v1/requests", body), status)

    def wait_for(fn, timeout=15, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}")

    cli_home = os.path.join(srv.tmp, "home")

    def cli(*args, stdin=None, env=None, token=None, url=None, home=None):
        """Runs the lockbox CLI; answers (exit code, stdout, stderr). HOME is the case's own."""
        if not lockbox_cli:
            raise RuntimeError("this case needs --lockbox")
        e = {"PATH": os.environ.get("PATH", ""), "HOME": home or cli_home}
        if url != "":  # "" runs without LOCKBOX_URL
            e["LOCKBOX_URL"] = srv.url if url is None else url
        if token:
            e["LOCKBOX_TOKEN"] = token
        e.update(env or {})
        p = subprocess.run([lockbox_cli, *args], input=stdin, capture_output=True, text=True,
                           env=e, timeout=60, start_new_session=True)
        return p.returncode, p.stdout, p.stderr

    return {
        "cli": cli, "lockbox_cli": lockbox_cli, "cli_home": cli_home,
        "source_dir": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        "srv": srv, "admin": admin, "client": client, "login": login, "totp": totp,
        "check": check, "eq": eq, "expect": expect, "problem": problem, "must": must,
        "provider_user": provider_user, "tenant": tenant, "tenant_user": tenant_user,
        "ticket": ticket, "world": world, "request": request, "wait_for": wait_for,
        "PASSWORD": PASSWORD, "time": time, "signal": signal, "os": os, "json": json,
        "SMTPServer": SMTPServer, "Skip": Skip, "Client": Client, "Server": Server,
    }
