"""A small real SMTP server (RFC 5321 subset) for the black-box tests, standard library only.

It speaks EHLO/HELO, STARTTLS (given a certificate), AUTH PLAIN, MAIL, RCPT, DATA (with
dot-unstuffing), RSET, NOOP and QUIT over TCP on 127.0.0.1, one thread per connection, and keeps
every accepted message with its envelope, whether it came over TLS, and who authenticated. It can be stopped and started again on the same port (a server that is down), and
told to refuse messages with a temporary error. With implicit_tls (and a certificate) it is an
smtps:// server instead: TLS from the first byte, the greeting only after the handshake, no
STARTTLS; handshakes the client broke off are counted in tls_failures.
"""
import base64
import email
import email.policy
import socket
import ssl
import threading
import time


class Message:
    def __init__(self, mail_from, rcpt_to, data, auth, tls=False):
        self.tls = tls
        self.mail_from = mail_from
        self.rcpt_to = rcpt_to
        self.data = data  # bytes, CRLF lines, as received after dot-unstuffing
        self.auth = auth
        self.parsed = email.message_from_bytes(data, policy=email.policy.default)

    def header(self, name):
        return self.parsed[name]

    @property
    def body(self):
        return self.parsed.get_content()

    def raw_headers(self):
        return self.data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")


class SMTPServer:
    def __init__(self, port=0, username=None, password=None, cert=None, key=None,
                 implicit_tls=False):
        self.port = port
        self.tls_context = None
        self.implicit_tls = implicit_tls
        if implicit_tls and not cert:
            raise ValueError("implicit TLS needs a certificate")
        if cert:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(cert, key)
        self.username, self.password = username, password
        self.messages = []
        self.refuse = None  # e.g. "451 try later": refuse DATA with this reply
        self.connections = 0
        self.tls_failures = 0  # implicit TLS: handshakes that failed (e.g. an untrusted cert)
        self._lock = threading.Lock()
        self._sock = None
        self._threads = []
        self._stopped = False
        self._live = {}  # session id -> its socket, closed by stop() like a server going down

    @property
    def url(self):
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"

    def start(self):
        self._stopped = False
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        self.port = s.getsockname()[1]
        self._sock = s
        t = threading.Thread(target=self._accept, args=(s,), daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        """Goes down as a real server does: no new connections and the open ones dropped, so a
        client that keeps its connection cannot deliver to a stopped server."""
        with self._lock:
            self._stopped = True
            live = list(self._live.values())
            self._live.clear()
        for s in ([self._sock] if self._sock else []) + live:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._sock = None

    def received(self):
        with self._lock:
            return list(self.messages)

    def wait_for(self, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.received()) >= count:
                return self.received()
            time.sleep(0.05)
        return self.received()

    def to(self, address):
        return [m for m in self.received() if address in m.rcpt_to]

    def _accept(self, s):
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            with self._lock:
                if self._stopped:
                    conn.close()
                    return
                self.connections += 1
                key = self.connections
                self._live[key] = conn
            threading.Thread(target=self._session, args=(conn, key), daemon=True).start()

    def _session(self, conn, key):
        mail_from, rcpt, auth, tls = None, [], None, False
        if self.implicit_tls:
            # smtps: the handshake comes first, in this session's thread (not the accept loop)
            try:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            except OSError:
                with self._lock:
                    self.tls_failures += 0 if self._stopped else 1
                    self._live.pop(key, None)
                conn.close()
                return
            with self._lock:
                if key in self._live:
                    self._live[key] = conn
            tls = True
        f = conn.makefile("rb")

        def say(line):
            conn.sendall(line.encode() + b"\r\n")

        try:
            say("220 lockbox-test ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                verb = cmd.split(" ", 1)[0].upper()
                arg = cmd[len(verb):].strip()
                if verb == "EHLO":
                    say("250-lockbox-test")
                    if self.tls_context and not tls:
                        say("250-STARTTLS")
                    if self.username:
                        say("250-AUTH PLAIN")
                    say("250 8BITMIME")
                elif verb == "STARTTLS" and self.tls_context and not tls:
                    say("220 go ahead")
                    conn = self.tls_context.wrap_socket(conn, server_side=True)
                    with self._lock:
                        if key in self._live:
                            self._live[key] = conn
                    f = conn.makefile("rb")
                    tls, mail_from, rcpt, auth = True, None, [], None
                elif verb == "HELO":
                    say("250 lockbox-test")
                elif verb == "AUTH":
                    parts = arg.split(" ")
                    if parts[0].upper() != "PLAIN":
                        say("504 only PLAIN")
                        continue
                    token = parts[1] if len(parts) > 1 else None
                    if token is None:
                        say("334 ")
                        token = f.readline().decode().strip()
                    _, user, pw = base64.b64decode(token).decode().split("\0")
                    if user == self.username and pw == self.password:
                        auth = user
                        say("235 ok")
                    else:
                        say("535 bad credentials")
                elif verb == "MAIL":
                    if self.username and not auth:
                        say("530 authentication required")
                        continue
                    mail_from, rcpt = arg.split(":", 1)[1].strip().strip("<>"), []
                    say("250 ok")
                elif verb == "RCPT":
                    rcpt.append(arg.split(":", 1)[1].strip().strip("<>"))
                    say("250 ok")
                elif verb == "DATA":
                    if self.refuse:
                        say(self.refuse)
                        continue
                    say("354 go on")
                    data = []
                    while True:
                        ln = f.readline()
                        if not ln or ln == b".\r\n":
                            break
                        data.append(ln[1:] if ln.startswith(b"..") else ln)
                    with self._lock:
                        self.messages.append(Message(mail_from, rcpt, b"".join(data), auth, tls))
                    say("250 queued")
                elif verb == "RSET":
                    mail_from, rcpt = None, []
                    say("250 ok")
                elif verb == "NOOP":
                    say("250 ok")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 not implemented")
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._live.pop(key, None)
            conn.close()
