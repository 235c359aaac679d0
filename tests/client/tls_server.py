#!/usr/bin/env python3
"""An HTTPS front for the liblockbox TLS checks: serves GET requests on 127.0.0.1 (a port the
kernel picks) with --cert/--key, forwarding each, with its Authorization header, to --upstream
(the plain-HTTP lockboxd) and relaying the answer. Prints "listening PORT" first, then one
"served PATH STATUS" line per request, on stdout. Standard library only; runs until killed.
"""
import argparse
import http.client
import http.server
import ssl
import sys
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    args = ap.parse_args()
    up = urllib.parse.urlsplit(args.upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {"Accept": "application/json"}
            if self.headers.get("Authorization"):
                headers["Authorization"] = self.headers["Authorization"]
            try:
                conn.request("GET", self.path, headers=headers)
                r = conn.getresponse()
                body = r.read()
                status, ctype = r.status, r.getheader("Content-Type", "application/json")
            finally:
                conn.close()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print(f"served {self.path} {status}", flush=True)

        def log_message(self, fmt, *a):  # quiet: only the "served" lines
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(f"listening {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
