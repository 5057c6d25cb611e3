"""Hardening of the HTTP side (issue 12): requests are authenticated and
routed on their header, so a refused one never has its body read (nor gets a
100 Continue); HEAD on every GET route; repeated keys and deep nesting in JSON
bodies; the WebSocket key; control bytes of a bad file in the log; start-up
errors for a port in use, a directory as config file, a repeated config key."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

from harness import GatewayTestCase, gateway_binary
from test_auth import wait_until
from test_rest import read_response

TIMEOUT = 10.0
MIB = 1 << 20
GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's example: 16 bytes


def head_only(method, path, headers):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"] + ["%s: %s" % kv for kv in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class HttpHardeningTest(GatewayTestCase):
    config = {
        "auth": {
            "allow_anonymous": False,
            "tokens": [
                {"token": "pub-token", "name": "svc", "role": "publish"},
                {"token": "read-token", "name": "mon", "role": "read"},
            ],
        },
    }

    @property
    def http_port(self):
        return self.gateway.ports["http"]

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.http_port), timeout=TIMEOUT)
        self.addCleanup(s.close)
        return s, s.makefile("rb")

    def request(self, method, path, token=None, raw_body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            hdrs = dict(headers or {})
            if token:
                hdrs["Authorization"] = "Bearer " + token
            if raw_body is not None:
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=raw_body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    # --- the header decides; a refused body is never read ---

    def assert_refused_unread(self, method, path, headers, status, length=MIB):
        """Sends only the header of a 1 MiB request: the answer must come
        without the body, and close the connection."""
        s, f = self.connect()
        s.sendall(head_only(method, path, [("Content-Type", "application/json"),
                                           ("Content-Length", str(length))] + headers))
        response = read_response(f)
        self.assertIsNotNone(response, "closed without an answer")
        self.assertEqual(response[0], status, response)
        self.assertEqual(response[1].get("connection"), "close", response)
        self.assertEqual(f.read(), b"", "nothing after the refusal, then the close")
        return response

    def test_unauthenticated_expect_100_continue_gets_401_and_no_100(self):
        status, headers, body = self.assert_refused_unread(
            "POST", "/api/v1/publish", [("Expect", "100-continue")], 401)
        self.assertEqual(json.loads(body)["error"]["code"], "unauthorized")
        self.assertIn("www-authenticate", headers)

    def test_unauthenticated_body_is_not_waited_for(self):
        self.assert_refused_unread("POST", "/api/v1/publish/bulk", [], 401)
        self.assert_refused_unread("POST", "/api/v1/publish", [("Authorization", "Bearer nope")], 401)

    def test_role_refusal_404_and_405_come_before_the_body(self):
        read = ("Authorization", "Bearer read-token")
        _, _, body = self.assert_refused_unread("POST", "/api/v1/publish", [read, ("Expect", "100-continue")], 403)
        self.assertEqual(json.loads(body)["error"]["code"], "forbidden")
        self.assert_refused_unread("POST", "/api/v1/nothing", [read], 404)
        self.assert_refused_unread("PUT", "/api/v1/stats", [read, ("Expect", "100-continue")], 405)
        self.assert_refused_unread("POST", "/api/v1/publish", [("Authorization", "Bearer pub-token"),
                                                               ("Expect", "100-continue")], 413, length=2 * MIB)

    def test_authorized_expect_100_continue_still_gets_100_and_keeps_the_connection(self):
        body = json.dumps({"topic": "t/continue", "payload": "x"}).encode()
        s, f = self.connect()
        s.sendall(head_only("POST", "/api/v1/publish", [
            ("Authorization", "Bearer pub-token"), ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))), ("Expect", "100-continue")]))
        self.assertEqual(f.readline(), b"HTTP/1.1 100 Continue\r\n")
        self.assertEqual(f.readline(), b"\r\n")
        s.sendall(body)
        status, headers, _ = read_response(f)
        self.assertEqual(status, 202)
        self.assertNotIn("connection", headers)
        s.sendall(head_only("GET", "/healthz", []))
        self.assertEqual(read_response(f)[0], 200)

    def test_curl_with_a_large_body_gets_401(self):
        done = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                               "-H", "Content-Type: application/json", "--data-binary", "@-",
                               "http://127.0.0.1:%d/api/v1/publish" % self.http_port],
                              input=b"x" * MIB, capture_output=True, timeout=30)
        text, _, status = done.stdout.decode().rpartition("\n")
        self.assertEqual(status, "401", done.stderr)
        self.assertEqual(json.loads(text)["error"]["code"], "unauthorized")

    # --- HEAD ---

    def test_head_answers_like_get_without_the_body(self):
        for path in ("/api/v1/openapi.json", "/api/v1/retained", "/api/v1/clients/nobody", "/api/v1/subscriptions"):
            with self.subTest(path=path):
                get = self.request("GET", path, "pub-token")
                head = self.request("HEAD", path, "pub-token")
                self.assertEqual(head[0], get[0])
                self.assertEqual(head[1]["content-length"], str(len(get[2])))
                self.assertEqual(head[1]["content-type"], get[1]["content-type"])
                self.assertEqual(head[2], b"")
        self.assertEqual(self.request("HEAD", "/api/v1/stats")[0], 401)
        self.assertEqual(self.request("HEAD", "/api/v1/stats", "read-token")[0], 200)
        self.assertEqual(self.request("HEAD", "/healthz")[0], 200)

    def test_head_on_the_event_stream_is_its_header_alone(self):
        s, f = self.connect()
        s.sendall(head_only("HEAD", "/api/v1/stream/sse?filter=t/%23", [("Authorization", "Bearer pub-token")]))
        status, headers, _ = read_response(f)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/event-stream")
        self.assertEqual(f.read(), b"", "no event stream after a HEAD answer")
        status, headers, _ = self.request("POST", "/api/v1/stream/sse", "pub-token")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_allow_lists_head(self):
        status, headers, _ = self.request("DELETE", "/api/v1/stats", "read-token")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD, OPTIONS")
        status, headers, _ = self.request("OPTIONS", "/api/v1/clients/x")
        self.assertEqual(status, 204)
        self.assertEqual(headers["allow"], "GET, HEAD, DELETE, OPTIONS")

    # --- JSON bodies ---

    def test_repeated_keys_and_deep_nesting_are_invalid_json(self):
        bodies = {
            "/api/v1/publish": [b'{"topic":"t/public","payload":"x","topic":"t/secret"}',
                                b'{"topic":"t/a","payload":"x","x":' + b"[" * 100 + b"]" * 100 + b"}"],
            "/api/v1/publish/bulk": [b'[{"topic":"t/a","qos":0,"qos":1}]', b"[" * 65 + b"]" * 65],
        }
        for path, cases in bodies.items():
            for raw in cases:
                with self.subTest(path=path, body=raw[:60]):
                    status, _, body = self.request("POST", path, "pub-token", raw_body=raw)
                    self.assertEqual(status, 400, body)
                    self.assertEqual(json.loads(body)["error"]["code"], "invalid_json")
        ok = self.request("POST", "/api/v1/publish", "pub-token",
                          raw_body=b'{"topic":"t/a","payload":"x","x":' + b"[" * 60 + b"]" * 60 + b"}")
        self.assertEqual(ok[0], 202, ok[2])

    # --- WebSocket key ---

    def upgrade(self, path, key, extra=()):
        s, f = self.connect()
        headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")]
        if key is not None:
            headers.append(("Sec-WebSocket-Key", key))
        s.sendall(head_only("GET", path, headers + list(extra)))
        status_line = f.readline()
        return int(status_line.split()[1]), f

    def test_websocket_key_must_be_16_bytes_of_base64(self):
        routes = {"/mqtt": [("Sec-WebSocket-Protocol", "mqtt")],
                  "/api/v1/stream": [("Authorization", "Bearer pub-token")]}
        bad_keys = [None, "abc", base64.b64encode(b"x" * 15).decode(), base64.b64encode(b"x" * 17).decode(),
                    "!" * 22 + "==", base64.b64encode(b"x" * 16).decode()[:-2] + "AA"]
        for path, extra in routes.items():
            for key in bad_keys:
                with self.subTest(path=path, key=key):
                    status, f = self.upgrade(path, key, extra)
                    self.assertEqual(status, 400)
                    headers = {}
                    for line in iter(f.readline, b"\r\n"):
                        name, _, value = line.decode().partition(":")
                        headers[name.lower()] = value.strip()
                    body = f.read(int(headers["content-length"]))
                    self.assertEqual(json.loads(body)["error"]["code"], "invalid_websocket_key")
            with self.subTest(path=path, key=GOOD_KEY):
                self.assertEqual(self.upgrade(path, GOOD_KEY, extra)[0], 101)


class ReloadLogTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mqgate-reload-")
        cls.acl_path = os.path.join(cls.dir, "acl")
        with open(cls.acl_path, "w") as f:
            f.write("user alice\ntopic read a/#\n")
        cls.config = {"auth": {"acl_file": cls.acl_path}}
        super().setUpClass()

    def test_reload_error_escapes_control_bytes_of_the_file(self):
        with open(self.acl_path, "wb") as f:
            f.write(b"user alice\ntopic read a/\x1b[2J\x1b]0;owned\x07/#/b\n")
        self.gateway.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload of users" in self.gateway.log_text(), TIMEOUT, "the reload error")
        with open(self.gateway.log_path, "rb") as f:
            log = f.read()
        line = next(l for l in log.splitlines() if b"reload of users" in l)
        self.assertIn(b"a/\\x1b[2J\\x1b]0;owned\\x07/#/b", line)
        self.assertNotIn(b"\x1b", log)
        self.assertNotIn(b"\x07", log)


class StartupErrorTest(unittest.TestCase):
    def run_gateway(self, *args):
        data = tempfile.mkdtemp(prefix="mqgate-it-data-")
        self.addCleanup(shutil.rmtree, data, True)
        done = subprocess.run([gateway_binary(), "--bind", "127.0.0.1", "--data-dir", data] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertNotIn(b"ready", done.stdout)
        return done.returncode, done.stderr.decode("utf-8", "replace")

    def test_port_in_use_names_the_address_and_reason(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            for args in (["--mqtt-port", str(port), "--http-port", "0"],
                         ["--mqtt-port", "0", "--http-port", str(port)]):
                with self.subTest(args=args):
                    code, err = self.run_gateway(*args)
                    self.assertEqual(code, 2, err)
                    self.assertIn("mqgate: cannot listen on 127.0.0.1:%d: address already in use\n" % port, err)
                    self.assertNotIn(".hpp", err)

    def test_config_path_that_is_a_directory(self):
        workdir = tempfile.mkdtemp(prefix="mqgate-cfgdir-")
        code, err = self.run_gateway("--config", workdir)
        self.assertEqual(code, 2, err)
        self.assertIn("is a directory", err)

    def test_repeated_config_key_is_an_error_naming_it(self):
        workdir = tempfile.mkdtemp(prefix="mqgate-cfgdup-")
        path = os.path.join(workdir, "mqgate.json")
        with open(path, "w") as f:
            f.write('{"http": {"max_body_size": 1000, "max_body_size": 2000}}\n')
        code, err = self.run_gateway("--config", path)
        self.assertEqual(code, 2, err)
        self.assertIn("http.max_body_size: duplicate key 'max_body_size'", err)


if __name__ == "__main__":
    unittest.main()
