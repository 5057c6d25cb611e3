"""Safe by default (issue 20): without a config mqgate listens on loopback
only and says how to open it; a listener beyond loopback with anonymous MQTT
or an open HTTP API is named in a start-up warning and reported by
/api/v1/stats; with credentials required nothing is reported. The gateways
here may bind 0.0.0.0 (port 0), but every test talks to 127.0.0.1 (or ::1)."""

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import Gateway, GatewayTestCase
from test_auth import passwd

TIMEOUT = 10.0
LOOPBACK_LINE = "listening on loopback only"
WARNING = "OPEN ACCESS: "


class ExposureCase(GatewayTestCase):
    def stats(self, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.gateway.ports["http"], timeout=TIMEOUT)
        try:
            conn.request("GET", "/api/v1/stats", headers=headers or {})
            resp = conn.getresponse()
            body = resp.read().decode()
        finally:
            conn.close()
        self.assertEqual(resp.status, 200, body)
        return json.loads(body)

    def warnings(self):
        return [line for line in self.gateway.log_text().splitlines() if WARNING in line]

    def open_listeners(self, stats):
        """kind -> what is open, with the address checked against the port announced."""
        found = {}
        for entry in stats["open_listeners"]:
            self.assertEqual(entry["address"], "0.0.0.0:%d" % self.gateway.ports[entry["kind"]], entry)
            found[entry["kind"]] = entry["open"]
        return found


class LoopbackByDefaultTest(ExposureCase):
    bind = None  # no --bind and no config: the built-in defaults

    def test_listens_on_loopback_addresses_only(self):
        addresses = {(kind, address) for kind, address, _ in self.gateway.listening}
        self.assertIn(("mqtt", "127.0.0.1"), addresses)
        self.assertIn(("http", "127.0.0.1"), addresses)
        self.assertLessEqual({address for _, address in addresses}, {"127.0.0.1", "[::1]"},
                             self.gateway.listening)

    def test_ipv6_loopback_shares_the_ipv4_port_where_the_host_has_it(self):
        v6 = [(kind, port) for kind, address, port in self.gateway.listening if address == "[::1]"]
        if not v6:
            self.assertIn("no ::1 on this host", self.gateway.log_text())
            self.skipTest("no IPv6 loopback on this host")
        for kind, port in v6:
            self.assertEqual(port, self.gateway.ports[kind])
            with socket.create_connection(("::1", port), timeout=TIMEOUT):
                pass

    def test_start_up_says_so_in_one_line_with_how_to_open_it(self):
        lines = [line for line in self.gateway.log_text().splitlines() if LOOPBACK_LINE in line]
        self.assertEqual(len(lines), 1, self.gateway.log_tail())
        self.assertIn("--bind 0.0.0.0", lines[0])
        self.assertIn("password file or API tokens", lines[0])
        self.assertEqual(self.warnings(), [])

    def test_stats_report_no_open_access(self):
        stats = self.stats()
        self.assertIs(stats["open_access"], False)
        self.assertEqual(stats["open_listeners"], [])

    def test_clients_on_loopback_are_served(self):
        client = self.paho()
        client.subscribe(self.topic(), 1)
        self.assertRoundTrip(client, self.topic(), "hello")


class OpenBindTest(ExposureCase):
    bind = "0.0.0.0"  # the operator's choice, with anonymous MQTT and no users or tokens

    def test_warning_names_each_open_listener_and_what_is_open(self):
        warnings = self.warnings()
        self.assertEqual(len(warnings), 2, self.gateway.log_tail())
        mqtt = "%smqtt 0.0.0.0:%d " % (WARNING, self.gateway.ports["mqtt"])
        http_ = "%shttp 0.0.0.0:%d " % (WARNING, self.gateway.ports["http"])
        mqtt_line = next(line for line in warnings if mqtt in line)
        http_line = next(line for line in warnings if http_ in line)
        self.assertIn("anonymous MQTT", mqtt_line)
        self.assertIn("auth.allow_anonymous", mqtt_line)
        self.assertIn("HTTP API without credentials", http_line)
        self.assertIn("anonymous MQTT over /mqtt", http_line)
        self.assertNotIn(LOOPBACK_LINE, self.gateway.log_text())

    def test_stats_report_open_access(self):
        stats = self.stats()
        self.assertIs(stats["open_access"], True)
        self.assertEqual(self.open_listeners(stats),
                         {"mqtt": ["anonymous_mqtt"], "http": ["http_api", "anonymous_mqtt"]})

    def test_it_still_works(self):
        client = self.paho()
        client.subscribe(self.topic(), 1)
        self.assertRoundTrip(client, self.topic(), "open")


class CredentialsCase(ExposureCase):
    """A config that binds every interface, with users and API tokens."""

    bind = None
    allow_anonymous = False

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mqgate-exposure-")
        path = os.path.join(cls.dir, "passwd")
        done = passwd(path, "alice", "alicepw")
        assert done.returncode == 0, done.stderr
        cls.config = {
            "listeners": {"mqtt": [{"bind": "0.0.0.0", "port": 0}], "http": [{"bind": "0.0.0.0", "port": 0}]},
            "auth": {
                "allow_anonymous": cls.allow_anonymous,
                "password_file": path,
                "tokens": [{"token_sha256": hashlib.sha256(b"ops-token").hexdigest(), "name": "ops",
                            "role": "admin"}],
            },
        }
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def authorized_stats(self):
        return self.stats({"Authorization": "Bearer ops-token"})


class CredentialsRequiredTest(CredentialsCase):
    def test_no_warning_and_no_open_access(self):
        self.assertEqual([kind for kind, address, _ in self.gateway.listening if address != "0.0.0.0"], [])
        self.assertEqual(self.warnings(), [], self.gateway.log_tail())
        self.assertNotIn(LOOPBACK_LINE, self.gateway.log_text())
        stats = self.authorized_stats()
        self.assertIs(stats["open_access"], False)
        self.assertEqual(stats["open_listeners"], [])


class AnonymousBesideUsersTest(CredentialsCase):
    """A password file does not turn anonymous MQTT off: the warning says so,
    and the HTTP API, which needs credentials now, is not named."""

    allow_anonymous = True

    def test_only_anonymous_mqtt_is_reported(self):
        self.assertEqual(len(self.warnings()), 2, self.gateway.log_tail())
        self.assertFalse(any("HTTP API" in line for line in self.warnings()), self.warnings())
        stats = self.authorized_stats()
        self.assertIs(stats["open_access"], True)
        self.assertEqual(self.open_listeners(stats), {"mqtt": ["anonymous_mqtt"], "http": ["anonymous_mqtt"]})


# A network namespace of its own whose loopback has no IPv6: a host without ::1.
NO_IPV6 = "ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1"


class NoIpv6LoopbackTest(unittest.TestCase):
    def test_localhost_binds_ipv4_loopback_alone_and_says_why(self):
        probe = subprocess.run(["unshare", "-n", "sh", "-c", NO_IPV6], capture_output=True, timeout=TIMEOUT)
        if probe.returncode != 0:
            self.skipTest("cannot make a network namespace here: %r" % probe.stderr)
        gateway = Gateway(bind=None, prefix=["unshare", "-n", "sh", "-c", NO_IPV6 + ' && exec "$@"', "sh"])
        gateway.start()
        try:
            self.assertEqual(sorted(address for _, address, _ in gateway.listening), ["127.0.0.1", "127.0.0.1"])
            log = gateway.log_text()
            self.assertIn("mqtt: no ::1 on this host", log)
            self.assertIn("http: no ::1 on this host", log)
            self.assertIn(LOOPBACK_LINE, log)
        finally:
            gateway.stop()
