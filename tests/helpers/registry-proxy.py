#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a registry, for the tests.

registry-proxy.py UPSTREAM_PORT MODE PORTFILE LOG
Listens on two loopback ports (written to PORTFILE: "main redirect"); the
second one only serves redirected blobs.  Faults hit blobs over 100 kB:
  pass      nothing
  cut       the first GET of each such blob stops halfway (Range resumes)
  500       the first GET answers 500
  429       the first GET answers 429 with Retry-After: 1
  wrong     always the right length with wrong bytes
  redirect  307 to the second port
Every request is logged to LOG: "PORT METHOD PATH range=R auth=yes|no".
"""
import http.client, http.server, socketserver, sys, threading

UP = int(sys.argv[1])
MODE = sys.argv[2]
LOG = open(sys.argv[4], 'a', buffering=1)
seen = set()
lock = threading.Lock()
BIG = 100 * 1024


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def upstream(self):
        c = http.client.HTTPConnection('127.0.0.1', UP, timeout=30)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():  # every Accept line, in order
            if k.lower() != 'connection':
                c.putheader(k, v)
        c.endheaders()
        return c.getresponse()

    def relay(self, r, body=None, cut=False):
        data = r.read() if body is None else body
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ('connection', 'transfer-encoding', 'content-length'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        if cut:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data[:len(data) // 2] if cut else data)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        port = self.server.server_address[1]
        LOG.write('%d %s %s range=%s auth=%s\n' % (port, self.command, self.path, self.headers.get('Range', '-'),
                                                     'yes' if self.headers.get('Authorization') else 'no'))
        r = self.upstream()
        blob = '/blobs/sha256:' in self.path and r.status in (200, 206) and \
            int(r.getheader('Content-Length') or 0) > BIG and self.command == 'GET'
        if not blob or MODE == 'pass' or port == REDIR_PORT:
            return self.relay(r)
        with lock:
            first = self.path not in seen
            seen.add(self.path)
        if MODE == 'cut' and first and r.status == 200:
            return self.relay(r, cut=True)
        if MODE in ('500', '429') and first:
            r.read()
            self.send_response(int(MODE))
            if MODE == '429':
                self.send_header('Retry-After', '1')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if MODE == 'wrong':
            data = r.read()
            return self.relay(r, body=bytes(b ^ 0x55 for b in data))
        if MODE == 'longer':  # the right bytes, then more than announced
            return self.relay(r, body=r.read() + bytes(1 << 20))
        if MODE == 'redirect':
            r.read()
            self.send_response(307)
            self.send_header('Location', 'http://127.0.0.1:%d%s' % (REDIR_PORT, self.path))
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        return self.relay(r)


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


main = S(('127.0.0.1', 0), H)
red = S(('127.0.0.1', 0), H)
REDIR_PORT = red.server_address[1]
threading.Thread(target=red.serve_forever, daemon=True).start()
with open(sys.argv[3] + '.tmp', 'w') as f:
    f.write('%d %d\n' % (main.server_address[1], REDIR_PORT))
import os
os.rename(sys.argv[3] + '.tmp', sys.argv[3])
main.serve_forever()
