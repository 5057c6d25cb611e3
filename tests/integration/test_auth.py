"""Authentication and authorization (issue 5): users made with `mqgate passwd`,
CONNACK codes, the ACL for MQTT, REST and the streams, API tokens and roles,
the WebSocket Origin check, SIGHUP reload and a broken ACL at start-up."""

import base64
import hashlib
import http.client
import json
import os
import select
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from harness import GatewayTestCase, gateway_binary
from pahoclient import PahoClient
from rawclient import RawClient
import packets

TIMEOUT = 10.0

ACL = """\
# no rules for anonymous clients: anonymous access is off anyway
user alice
topic readwrite a/#
topic read shared/#
user bob
topic write shared/#
topic read b/#
user ops
topic readwrite #
user svc
topic write svc/#
pattern readwrite users/%u/#
"""

# Every route's role, as the README documents it. A route missing here fails
# the walk: a new route needs a decision.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz")}
ROLES = {
    ("GET", "/api/v1/stats"): "read",
    ("GET", "/metrics"): "read",
    ("GET", "/api/v1/openapi.json"): "read",
    ("GET", "/api/v1/clients"): "subscribe",
    ("GET", "/api/v1/clients/{clientid}"): "subscribe",
    ("GET", "/api/v1/clients/{clientid}/subscriptions"): "subscribe",
    ("GET", "/api/v1/subscriptions"): "subscribe",
    ("GET", "/api/v1/retained"): "subscribe",
    ("GET", "/api/v1/retained/{topic}"): "subscribe",
    ("GET", "/api/v1/events"): "subscribe",
    ("GET", "/api/v1/stream"): "subscribe",
    ("GET", "/api/v1/stream/sse"): "subscribe",
    ("POST", "/api/v1/publish"): "publish",
    ("POST", "/api/v1/publish/bulk"): "publish",
    ("POST", "/api/v1/requests"): "publish",
    ("POST", "/api/v1/commands"): "publish",
    ("GET", "/api/v1/commands"): "subscribe",
    ("GET", "/api/v1/commands/{id}"): "subscribe",
    ("DELETE", "/api/v1/commands/{id}"): "publish",
    ("GET", "/api/v1/webhooks"): "subscribe",
    ("GET", "/api/v1/webhooks/{name}/failed"): "subscribe",
    ("GET", "/api/v1/bridges"): "subscribe",
    ("DELETE", "/api/v1/clients/{clientid}"): "admin",
    ("DELETE", "/api/v1/retained/{topic}"): "admin",
}
ORDER = ["read", "subscribe", "publish", "admin"]


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


# One credential per role; "bob" gets the default user role (subscribe).
CREDENTIALS = {
    "read": "Bearer read-token",
    "subscribe": basic("bob", "bobpw"),
    "publish": "Bearer pub-token",
    "admin": basic("alice", "alicepw"),
}


def passwd(path, user, password=None, delete=False):
    cmd = [gateway_binary(), "passwd"] + (["-D"] if delete else []) + [path, user]
    return subprocess.run(cmd, input=(password + "\n").encode() if password is not None else b"",
                          capture_output=True, timeout=60)


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if check():
            return
        pause.wait(0.05)
    raise AssertionError("%s not seen within %.0f s" % (what, timeout))


class AuthTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mqgate-auth-")
        cls.passwd_path = os.path.join(cls.dir, "passwd")
        cls.acl_path = os.path.join(cls.dir, "acl")
        for user, password in (("alice", "alicepw"), ("bob", "bobpw"), ("carol", "carolpw")):
            done = passwd(cls.passwd_path, user, password)
            assert done.returncode == 0, done.stderr
        with open(cls.acl_path, "w") as f:
            f.write(ACL)
        cls.config = {
            "http": {"allowed_origins": ["http://good.example"]},
            "auth": {
                "allow_anonymous": False,
                "password_file": cls.passwd_path,
                "acl_file": cls.acl_path,
                "tokens": [
                    {"token": "admin-token", "name": "ops", "role": "admin"},
                    {"token": "pub-token", "name": "svc", "role": "publish"},
                    {"token_sha256": hashlib.sha256(b"read-token").hexdigest(), "name": "mon",
                     "role": "read"},
                ],
                "user_roles": {"alice": "admin"},
                # The route walk tries wrong passwords on every route: without
                # a back-off each answer stays 401 (LoginBackOffTest has one).
                "login_failures_per_user": 0,
                "login_failures_per_address": 0,
            },
        }
        super().setUpClass()
        cls.http_port = cls.gateway.ports["http"]

    # --- helpers ---

    def paho_as(self, user, password, suffix="", expect_rc=0):
        client = self.paho(self.client_id(user + suffix), connect=False)
        client.client.username_pw_set(user, password)
        client.connect(self.port, expect_rc=expect_rc)
        return client

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            data = json.dumps(body).encode() if body is not None else None
            hdrs = dict(headers or {})
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            if resp.getheader("Content-Type", "").startswith("text/event-stream"):
                return resp.status, resp.getheaders(), ""  # a stream: the head is the answer
            return resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def raw_head(self, request_text):
        """Sends a raw request, returns the status code of the answer."""
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=TIMEOUT) as s:
            s.sendall(request_text.encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None

    def upgrade(self, path, origin=None, protocol=None, headers=()):
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append("Origin: " + origin)
        if protocol:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
        lines += list(headers)
        return self.raw_head("\r\n".join(lines) + "\r\n\r\n")

    def stats(self):
        status, _, body = self.request("GET", "/api/v1/stats", {"Authorization": "Bearer admin-token"})
        self.assertEqual(status, 200, body)
        return json.loads(body)

    # --- mqgate passwd ---

    def test_passwd_writes_salted_pbkdf2_hashes_with_mode_0600(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.passwd_path).st_mode), 0o600)
        with open(self.passwd_path) as f:
            lines = f.read().splitlines()
        self.assertEqual(sorted(line.split(":", 1)[0] for line in lines), ["alice", "bob", "carol"])
        for line in lines:
            self.assertRegex(line, r"^\w+:\$pbkdf2-sha512\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$")
        self.assertNotIn("alicepw", "\n".join(lines))

    def test_passwd_deletes_and_refuses_unknown(self):
        path = os.path.join(self.dir, "scratch")
        self.assertEqual(passwd(path, "x", "xpw").returncode, 0)
        self.assertEqual(passwd(path, "y", "ypw").returncode, 0)
        self.assertEqual(passwd(path, "x", delete=True).returncode, 0)
        with open(path) as f:
            self.assertEqual([line.split(":")[0] for line in f.read().splitlines()], ["y"])
        self.assertNotEqual(passwd(path, "x", delete=True).returncode, 0)
        self.assertEqual(passwd(path, "bad:name", "pw").returncode, 2)

    # --- MQTT ---

    def test_right_credentials_work_with_mosquitto_clients(self):
        topic = "a/" + self.client_id()
        sub = self.mosquitto_sub(topic, 1, extra=["-u", "alice", "-P", "alicepw"])
        sub.wait_subscribed()
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-V", "mqttv311",
                               "-u", "alice", "-P", "alicepw", "-t", topic, "-q", "1", "-m", "hello"],
                              capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        [msg] = sub.messages(1)
        self.assertEqual((msg.topic, msg.payload), (topic, "hello"))

    def test_wrong_password_is_refused_with_0x04(self):
        done = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.port), "-V", "mqttv311",
                               "-u", "alice", "-P", "wrong", "-t", "a/x", "-W", "10"],
                              capture_output=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(b"Connection Refused: bad user name or password", done.stdout + done.stderr)
        raw = self.raw()
        self.assertEqual(raw.connect(self.client_id("raw"), username="nobody", password=b"x")[1], 4)
        self.assertClosed(raw)

    def test_no_credentials_with_anonymous_off_is_refused_with_0x05(self):
        raw = self.raw()
        self.assertEqual(raw.connect(self.client_id())[1], 5)
        self.assertClosed(raw)

    def test_denied_subscribe_gets_0x80_for_that_filter(self):
        alice = self.paho_as("alice", "alicepw")
        self.assertEqual(alice.subscribe([("a/x", 1), ("b/x", 1), ("shared/+", 0), ("#", 0)]), [1, 128, 0, 128])

    def test_denied_publish_is_dropped_and_the_publisher_stays_connected(self):
        alice = self.paho_as("alice", "alicepw")
        self.assertEqual(alice.subscribe([("a/#", 1), ("shared/#", 1)]), [1, 1])
        bob = self.paho_as("bob", "bobpw")
        before = self.stats()["publish_denied"]
        bob.publish("a/secret", "no", qos=1)  # acknowledged all the same
        bob.publish("shared/after", "yes", qos=1)
        msg = alice.get(5.0)
        self.assertEqual((msg.topic, msg.payload), ("shared/after", b"yes"))
        self.assertTrue(bob.client.is_connected())
        self.assertFalse(bob.disconnected.is_set())
        self.assertGreaterEqual(self.stats()["publish_denied"], before + 1)

    def test_username_pattern(self):
        bob = self.paho_as("bob", "bobpw")
        self.assertEqual(bob.subscribe([("users/bob/#", 1), ("users/alice/#", 1)]), [1, 128])
        self.assertRoundTrip(bob, "users/bob/inbox", "hi")

    # --- REST ---

    def test_walk_every_route(self):
        status, _, body = self.request("GET", "/api/v1/openapi.json", {"Authorization": CREDENTIALS["admin"]})
        self.assertEqual(status, 200, body)
        routes = [(method.upper(), path) for path, ops in json.loads(body)["paths"].items() for method in ops
                  if method.upper() in ("GET", "POST", "PUT", "DELETE", "PATCH")]
        self.assertGreater(len(routes), 10)
        walked = 0
        for method, path in routes:
            if path == "/mqtt":
                continue  # MQTT over WebSocket authenticates with CONNECT
            key = (method, path)
            concrete = path.replace("{clientid}", "nobody").replace("{topic}", "it/walk")
            body = None
            if method == "POST":
                # svc (the publish token) may write svc/#; ops (admin) anything.
                body = [{"topic": "svc/walk", "payload": "x"}] if path.endswith("/bulk") else \
                    {"topic": "svc/walk", "payload": "x"}
            with self.subTest(route=key):
                if key in PUBLIC:
                    self.assertNotIn(self.request(method, concrete)[0], (401, 403))
                    continue
                self.assertIn(key, ROLES, "route without a documented role")
                status, headers, text = self.request(method, concrete, body=body)
                self.assertEqual(status, 401, text)
                challenges = [v for k, v in headers if k.lower() == "www-authenticate"]
                self.assertTrue(any(c.startswith('Basic realm="mqgate"') for c in challenges), challenges)
                self.assertTrue(any(c.startswith("Bearer") for c in challenges), challenges)
                for wrong in (basic("alice", "nope"), "Bearer nope", basic("ghost", "x")):
                    self.assertEqual(self.request(method, concrete, {"Authorization": wrong}, body)[0], 401)
                needed = ORDER.index(ROLES[key])
                if needed > 0:
                    below = CREDENTIALS[ORDER[needed - 1]]
                    status, _, text = self.request(method, concrete, {"Authorization": below}, body)
                    self.assertEqual(status, 403, text)
                for right in (CREDENTIALS[ROLES[key]], "Bearer admin-token"):
                    status, _, text = self.request(method, concrete, {"Authorization": right}, body)
                    self.assertNotIn(status, (401, 403), text)
                    if method == "POST" and path.endswith("/bulk"):
                        self.assertEqual([item["status"] for item in json.loads(text)], [202])
                walked += 1
        self.assertGreaterEqual(walked, len(ROLES) - 1)

    def test_rest_publish_follows_the_acl(self):
        ok = self.request("POST", "/api/v1/publish", {"Authorization": "Bearer pub-token"},
                          {"topic": "svc/x", "payload": "1"})
        self.assertIn(ok[0], (200, 202), ok[2])
        denied = self.request("POST", "/api/v1/publish", {"Authorization": "Bearer pub-token"},
                              {"topic": "a/x", "payload": "1"})
        self.assertEqual(denied[0], 403, denied[2])
        self.assertEqual(json.loads(denied[2])["error"]["code"], "forbidden")

    def test_healthz_is_public_and_metrics_is_not(self):
        self.assertEqual(self.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.request("GET", "/metrics")[0], 401)
        self.assertEqual(self.request("GET", "/metrics", {"Authorization": "Bearer read-token"})[0], 200)

    def test_dashboard_files_are_public(self):
        self.assertEqual(self.request("GET", "/")[0], 200)

    # --- streams ---

    def test_json_stream_with_access_token(self):
        self.assertEqual(self.upgrade("/api/v1/stream"), 401)
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=nope"), 401)
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=read-token"), 403)
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=admin-token"), 101)
        user_pass = urllib.parse.quote(base64.b64encode(b"bob:bobpw").decode(), safe="")
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=" + user_pass), 101)

    def test_sse_with_access_token_and_acl(self):
        bob = urllib.parse.quote(base64.b64encode(b"bob:bobpw").decode(), safe="")
        get = "GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
        self.assertEqual(self.raw_head(get % "/api/v1/stream/sse?filter=b/%23"), 401)
        self.assertEqual(self.raw_head(get % ("/api/v1/stream/sse?filter=b/%23&access_token=" + bob)), 200)
        self.assertEqual(self.raw_head(get % ("/api/v1/stream/sse?filter=b/%23&filter=a/%23&access_token=" + bob)),
                         403)

    def test_websocket_origin_check(self):
        self.assertEqual(self.upgrade("/mqtt", origin="http://evil.example", protocol="mqtt"), 403)
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=admin-token", origin="http://evil.example"), 403)
        self.assertEqual(self.upgrade("/mqtt", origin="http://good.example", protocol="mqtt"), 101)
        self.assertEqual(self.upgrade("/api/v1/stream?access_token=admin-token", origin="http://good.example"), 101)

    # --- reload ---

    def test_sighup_adds_a_user_without_dropping_connections(self):
        alice = self.paho_as("alice", "alicepw", "-stays")
        self.assertEqual(alice.subscribe("a/reload", 1), [1])
        self.paho_as("dave", "davepw", "-before", expect_rc=4)
        self.assertEqual(passwd(self.passwd_path, "dave", "davepw").returncode, 0)
        with open(self.acl_path, "a") as f:
            f.write("user dave\ntopic readwrite a/reload\n")
        marker = self.gateway.log_text().count("reloaded")
        self.gateway.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.gateway.log_text().count("reloaded") > marker, 10, "reload in the log")
        dave = self.paho_as("dave", "davepw", "-after")
        dave.publish("a/reload", "from dave", qos=1)
        msg = alice.get(5.0)
        self.assertEqual((msg.topic, msg.payload), ("a/reload", b"from dave"))
        self.assertRoundTrip(alice, "a/reload", "still here")
        self.assertFalse(alice.disconnected.is_set())

    def test_secrets_stay_out_of_the_log(self):
        self.paho_as("alice", "wrong-secret-xyz", "-bad", expect_rc=4)
        self.request("GET", "/api/v1/stats", {"Authorization": "Bearer admin-token"})
        log = self.gateway.log_text()
        for secret in ("wrong-secret-xyz", "alicepw", "admin-token", "pub-token"):
            self.assertNotIn(secret, log)


class PublishRateTest(GatewayTestCase):
    config = {"mqtt": {"max_publish_rate": 5}}

    def test_over_the_rate_the_publisher_is_slowed_not_dropped(self):
        sub = self.paho(self.client_id("sub"))
        self.assertEqual(sub.subscribe("rate/#", 1), [1])
        pub = self.paho(self.client_id("pub"))
        started = time.monotonic()
        infos = [pub.publish("rate/%d" % i, str(i), qos=1, wait=False) for i in range(20)]
        received = sub.collect(20, timeout=20.0)
        elapsed = time.monotonic() - started
        self.assertEqual(sorted(int(m.payload) for m in received), list(range(20)))
        for info in infos:
            info.wait_for_publish(5.0)
        # 5 at once, then 5/s: the last of 20 cannot arrive before ~3 s.
        self.assertGreater(elapsed, 2.0)
        self.assertTrue(pub.client.is_connected())
        log = self.gateway.log_text()
        self.assertEqual(log.count("over mqtt.max_publish_rate"), 1, log)
        conn = http.client.HTTPConnection("127.0.0.1", self.gateway.ports["http"], timeout=TIMEOUT)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        [line] = [l for l in metrics.splitlines() if l.startswith("mqgate_publish_throttled_total ")]
        self.assertGreater(int(line.split()[1]), 0)


class BrokenAclTest(unittest.TestCase):
    def test_broken_acl_stops_start_up_with_file_line_and_reason(self):
        workdir = tempfile.mkdtemp(prefix="mqgate-acl-")
        acl = os.path.join(workdir, "broken.acl")
        with open(acl, "w") as f:
            f.write("user alice\ntopic read a/#\ntopic sometimes a/b\ntopic read a/#/b\n")
        config = os.path.join(workdir, "mqgate.json")
        with open(config, "w") as f:
            json.dump({"auth": {"acl_file": acl}}, f)
        done = subprocess.run([gateway_binary(), "--bind", "127.0.0.1", "--mqtt-port", "0", "--http-port", "0",
                               "--data-dir", os.path.join(workdir, "data"), "--config", config], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn((acl + ":4: invalid topic filter 'a/#/b'").encode(), done.stderr)
        self.assertNotIn(b"ready", done.stdout)


def users_file(users):
    """A password file made by `mqgate passwd` (100 000 PBKDF2 iterations)."""
    path = os.path.join(tempfile.mkdtemp(prefix="mqgate-login-"), "passwd")
    for user, password in users:
        done = passwd(path, user, password)
        assert done.returncode == 0, done.stderr
    return path


def has_data(client):
    """Whether the server sent `client` anything yet (no waiting)."""
    if client.buffer:
        return True
    ready, _, _ = select.select([client.sock], [], [], 0)
    return bool(ready)


# A stored hash with 4 000 000 iterations (the file format allows up to 100
# million): checking a password against it takes seconds, so a test can act
# while the check is surely still running. Salt and key are arbitrary: no
# password matches.
SLOW_USER_LINE = "slow:$pbkdf2-sha512$4000000$%s$%s\n" % (
    base64.b64encode(b"0123456789abcdef").decode(), base64.b64encode(bytes(range(64))).decode())


class LoginsOffTheIoThreadTest(GatewayTestCase):
    """A password check (PBKDF2) runs on the verifier threads: a client whose
    CONNECT or HTTP Basic request is being checked waits for its answer, the
    others on the same (only) I/O thread do not. Before, the check ran on the
    I/O thread and everything on it waited for the hash."""

    @classmethod
    def setUpClass(cls):
        path = users_file([("alice", "alicepw"), ("bob", "bobpw")])
        with open(path, "a") as f:
            f.write(SLOW_USER_LINE)
        cls.config = {"threads": 1,
                      "auth": {"password_file": path,
                               "tokens": [{"token": "admin-token", "name": "ops", "role": "admin"}]}}
        super().setUpClass()

    def test_an_mqtt_bystander_is_served_while_a_login_is_checked(self):
        bystander = self.paho(self.client_id("bystander"), connect=False)
        bystander.client.username_pw_set("alice", "alicepw")
        bystander.connect(self.port)
        topic = self.topic()
        self.assertEqual(bystander.subscribe(topic, 1), [1])
        guesser = self.raw()
        guesser.send(packets.connect(self.client_id("guesser"), username="slow", password="guess"))
        self.assertRoundTrip(bystander, topic, "not stalled")
        self.assertFalse(has_data(guesser), "the slow check was over before the bystander's round trip")
        self.assertEqual(guesser.expect(packets.CONNACK, 120).body[1], 4)

    def test_an_http_bystander_is_served_while_a_basic_login_is_checked(self):
        slow = socket.create_connection(("127.0.0.1", self.gateway.ports["http"]), timeout=120)
        self.addCleanup(slow.close)
        slow.sendall(("GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                      % basic("slow", "guess")).encode())
        conn = http.client.HTTPConnection("127.0.0.1", self.gateway.ports["http"], timeout=TIMEOUT)
        conn.request("GET", "/api/v1/stats", headers={"Authorization": "Bearer admin-token"})
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        ready, _, _ = select.select([slow], [], [], 0)
        self.assertFalse(ready, "the slow check was over before the bystander's request")
        self.assertTrue(slow.recv(4096).startswith(b"HTTP/1.1 401 "))

    def test_a_client_sending_while_its_connect_is_checked_is_served_in_order(self):
        client = self.raw()
        topic = self.topic()
        # Allowed by §3.1.4: no need to wait for CONNACK.
        # bob has not logged in before: his password gets the full check.
        client.send(packets.connect(self.client_id("eager"), username="bob", password="bobpw") +
                    packets.subscribe(7, [(topic, 0)]) + packets.publish(topic, b"early"))
        self.assertEqual(client.expect(packets.CONNACK, 30).body[1], 0)
        self.assertEqual(client.expect(packets.SUBACK).pid, 7)
        self.assertEqual(client.expect(packets.PUBLISH).payload, b"early")


class VerifierQueueFullTest(GatewayTestCase):
    """More logins waiting than the verifier queue holds: the rest are
    refused at once (CONNACK 0x03), not queued without bound."""

    @classmethod
    def setUpClass(cls):
        cls.config = {"auth": {"password_file": users_file([("alice", "alicepw")]),
                               "tokens": [{"token": "admin-token", "name": "ops", "role": "admin"}]}}
        super().setUpClass()

    def test_a_full_queue_refuses_with_0x03(self):
        guessers = []
        for i in range(100):  # two checking, 64 waiting: at ~50 ms a check, the rest find the queue full
            guesser = self.raw()
            guesser.send(packets.connect("flood-%d" % i, username="user-%d" % i, password="guess"))
            guessers.append(guesser)
        codes = [g.expect(packets.CONNACK, 60).body[1] for g in guessers]
        self.assertIn(3, codes)
        self.assertIn(4, codes)
        self.assertEqual(set(codes), {3, 4})
        conn = http.client.HTTPConnection("127.0.0.1", self.gateway.ports["http"], timeout=TIMEOUT)
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer admin-token"})
        metrics = conn.getresponse().read().decode()
        conn.close()
        self.assertRegex(metrics, r"\nmqgate_login_busy_total [1-9]\d*\n")


class LoginBackOffTest(GatewayTestCase):
    """After failed logins for a username the next ones are refused unchecked
    (CONNACK 0x03, HTTP 429) for a while; counted in /metrics and
    /api/v1/stats, and each refused CONNECT is a client.auth_failed event."""

    @classmethod
    def setUpClass(cls):
        cls.config = {"auth": {"password_file": users_file([("mallory", "rightpw")]),
                               "tokens": [{"token": "admin-token", "name": "ops", "role": "admin"}]}}
        super().setUpClass()
        cls.http_port = cls.gateway.ports["http"]

    def get(self, path, authorization="Bearer admin-token"):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            conn.request("GET", path, headers={"Authorization": authorization})
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    def login(self, password):
        client = self.raw()
        client.send(packets.connect(self.client_id(), username="mallory", password=password))
        code = client.expect(packets.CONNACK, 30).body[1]
        self.assertClosed(client)
        return code

    def test_failures_back_off_and_are_counted(self):
        for _ in range(6):  # five are free; the sixth starts a two-second back-off
            self.assertEqual(self.login("wrong"), 4)
        self.assertEqual(self.login("rightpw"), 3, "refused unchecked, even with the right password")
        self.assertEqual(self.get("/api/v1/stats", basic("mallory", "rightpw"))[0], 429)
        stats = json.loads(self.get("/api/v1/stats")[1])
        self.assertGreaterEqual(stats["login_failures"], 6)
        self.assertGreaterEqual(stats["login_throttled"], 2)
        metrics = self.get("/metrics")[1]
        self.assertRegex(metrics, r"\nmqgate_login_failures_total ([6-9]|\d\d+)\n")
        self.assertRegex(metrics, r"\nmqgate_login_throttled_total ([2-9]|\d\d+)\n")
        self.assertIn('mqgate_events_total{event="client.auth_failed"}', metrics)
        events = json.loads(self.get("/api/v1/events?limit=100")[1])["data"]
        reasons = [e["reason"] for e in events if e["event"] == "client.auth_failed"]
        self.assertEqual(reasons.count("bad_username_or_password"), 6)
        self.assertEqual(reasons.count("server_unavailable"), 1)
        failed = [e for e in events if e["event"] == "client.auth_failed"][0]
        self.assertEqual((failed["username"], failed["ipaddress"]), ("mallory", "127.0.0.1"))


class AuthFileIsADirectoryTest(unittest.TestCase):
    """A directory reads as zero bytes: it used to pass as an empty password
    or token file, or as an ACL that silently refused every SUBSCRIBE."""

    def run_gateway(self, extra_args, auth):
        workdir = tempfile.mkdtemp(prefix="mqgate-authdir-")
        config = os.path.join(workdir, "mqgate.json")
        with open(config, "w") as f:
            json.dump({"auth": auth}, f)
        return subprocess.run([gateway_binary(), "--bind", "127.0.0.1", "--mqtt-port", "0", "--http-port", "0",
                               "--data-dir", os.path.join(workdir, "data"), "--config", config] + extra_args, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=30)

    def test_check_config_and_start_up_exit_2_naming_the_directory(self):
        directory = tempfile.mkdtemp(prefix="mqgate-authdir-")
        for key in ("acl_file", "password_file", "token_file"):
            for args in (["--check-config"], []):
                with self.subTest(key=key, args=args):
                    done = self.run_gateway(args, {key: directory})
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertIn((directory + ": is a directory").encode(), done.stderr)
                    self.assertNotIn(b"ready", done.stdout)


class AuthFileBecomesADirectoryTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mqgate-authdir-")
        cls.acl_path = os.path.join(cls.dir, "acl")
        with open(cls.acl_path, "w") as f:
            f.write("topic read open/#\n")
        cls.config = {"auth": {"acl_file": cls.acl_path}}
        super().setUpClass()

    def test_sighup_keeps_the_previous_acl_and_logs_the_directory(self):
        os.rename(self.acl_path, self.acl_path + ".old")
        os.mkdir(self.acl_path)
        self.gateway.proc.send_signal(signal.SIGHUP)
        expected = self.acl_path + ": is a directory"
        wait_until(lambda: expected in self.gateway.log_text(), 10, "the reload error in the log")
        self.assertIn("keeping the previous ones", self.gateway.log_text())
        client = self.paho(self.client_id("after"))
        self.assertEqual(client.subscribe("open/x", 1), [1])


if __name__ == "__main__":
    unittest.main()
