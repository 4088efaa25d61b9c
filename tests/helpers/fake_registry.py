#!/usr/bin/env python3
"""A small HTTP front for registry tests, on 127.0.0.1 only.

It answers what a real registry (docker-registry) does not let a test make
it answer, and passes everything else through to that registry:

  --upstream URL        forward GET/HEAD /v2/... to this registry (plain HTTP)
  --status RE=CODE      paths matching RE get CODE and an OCI error body
                        (repeatable; checked first)
  --bearer USER:PASS    Bearer token auth as Docker Hub does it: /v2/...
                        without a valid token gets 401 and a challenge whose
                        realm is /token here; /token wants Basic USER:PASS
                        (or nothing, with --bearer anonymous)
  --rate BYTES          send bodies of /blobs/ at most BYTES per second
  --log FILE            one line per request: METHOD PATH STATUS
  --port-file FILE      listen on a free port and write it there

Test code only; no TLS, no push.
"""
import argparse
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
TOKENS = set()
LOG_LOCK = threading.Lock()


def log(method, path, status):
    if ARGS.log:
        with LOG_LOCK, open(ARGS.log, "a") as f:
            f.write(f"{method} {path} {status}\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def answer(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        log(self.command, self.path, code)

    def error(self, code, errcode, message, headers=None):
        body = json.dumps({"errors": [{"code": errcode, "message": message}]}).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.answer(code, body, h)

    def challenge(self):
        host = self.headers.get("Host", "127.0.0.1")
        m = re.match(r"^/v2/(.+)/(manifests|blobs)/", self.path)
        c = f'Bearer realm="http://{host}/token",service="fake-registry"'
        if m:
            c += f',scope="repository:{m.group(1)}:pull"'
        self.error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": c})

    def token(self):
        if ARGS.bearer != "anonymous":
            want = "Basic " + base64.b64encode(ARGS.bearer.encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
        t = secrets.token_hex(16)
        TOKENS.add(t)
        self.answer(200, json.dumps({"token": t, "expires_in": 300}).encode(), {"Content-Type": "application/json"})

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        for rx, code in ARGS.status:
            if re.search(rx, self.path):
                return self.error(code, "UNKNOWN", f"fake registry answers {code}")
        if self.path.startswith("/token"):
            return self.token()
        if ARGS.bearer:
            auth = self.headers.get("Authorization", "")
            if not (auth.startswith("Bearer ") and auth[7:] in TOKENS):
                return self.challenge()
        if not ARGS.upstream:
            return self.error(404, "NAME_UNKNOWN", "nothing here")
        self.forward()

    def forward(self):
        req = urllib.request.Request(ARGS.upstream + self.path, method=self.command)
        for h in ("Accept", "Range"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            resp = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            resp = e
        body = resp.read()
        self.send_response(resp.status if hasattr(resp, "status") else resp.code)
        for k in ("Content-Type", "Docker-Content-Digest", "Content-Range", "Docker-Distribution-Api-Version"):
            if resp.headers.get(k):
                self.send_header(k, resp.headers[k])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        log(self.command, self.path, resp.status if hasattr(resp, "status") else resp.code)
        if self.command == "HEAD":
            return
        if ARGS.rate and "/blobs/" in self.path:
            chunk = max(1, ARGS.rate // 20)
            for i in range(0, len(body), chunk):
                self.wfile.write(body[i : i + chunk])
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self.wfile.write(body)


def status_rule(s):
    rx, _, code = s.rpartition("=")
    return (rx, int(code))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream")
    p.add_argument("--status", action="append", type=status_rule, default=[])
    p.add_argument("--bearer")
    p.add_argument("--rate", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--port-file", required=True)
    ARGS = p.parse_args()
    if ARGS.upstream:
        ARGS.upstream = ARGS.upstream.rstrip("/")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
