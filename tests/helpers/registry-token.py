#!/usr/bin/env python3
"""A Docker registry token server for the tests (HTTPS, RS256 via openssl).

registry-token.py PORTFILE KEY CERT TLSCERT TLSKEY LOG [USER:PASS] [access_token]
Answers GET /token?service=..&scope=.. with a JWT the registry accepts (its
header carries the signing certificate as x5c).  With USER:PASS, Basic
credentials are required.  "access_token" answers that field instead of
"token".  Each request is logged: "scope=S auth=yes|no".
"""
import base64, http.server, json, os, socketserver, ssl, subprocess, sys, time, urllib.parse

PORTFILE, KEY, CERT, TLSCERT, TLSKEY, LOG = sys.argv[1:7]
CREDS = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] != '-' else None
FIELD = sys.argv[8] if len(sys.argv) > 8 else 'token'
log = open(LOG, 'a', buffering=1)
der = subprocess.run(['openssl', 'x509', '-in', CERT, '-outform', 'DER'], capture_output=True, check=True).stdout


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def sign(claims):
    hdr = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    msg = (b64(json.dumps(hdr).encode()) + '.' + b64(json.dumps(claims).encode())).encode()
    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', KEY], input=msg, capture_output=True,
                         check=True).stdout
    return msg.decode() + '.' + b64(sig)


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get('Authorization', '')
        log.write('scope=%s auth=%s\n' % (','.join(q.get('scope', [])), 'yes' if auth else 'no'))
        if CREDS and auth != 'Basic ' + base64.b64encode(CREDS.encode()).decode():
            self.send_response(401)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        access = []
        for s in q.get('scope', []):
            p = s.split(':')
            if len(p) == 3:
                access.append({"type": p[0], "name": p[1], "actions": p[2].split(',')})
        now = int(time.time())
        tok = sign({"iss": "test-issuer", "sub": "tester", "aud": q.get('service', [''])[0], "exp": now + 600,
                    "nbf": now - 10, "iat": now, "jti": str(now) + str(os.getpid()), "access": access})
        body = json.dumps({FIELD: tok, "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(TLSCERT, TLSKEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + '.tmp', 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(PORTFILE + '.tmp', PORTFILE)
srv.serve_forever()
