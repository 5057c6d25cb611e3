"""TLS (issue 5): MQTT over TLS with mosquitto_sub/mosquitto_pub, HTTPS with
curl, TLS versions with openssl s_client and Python's ssl, mutual TLS,
certificate reload on SIGHUP, and bad certificate files at start-up.

Every certificate is made at test time with the openssl CLI."""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from certificates import Certificates, openssl
from harness import GatewayTestCase, gateway_binary
from mosquitto_cli import MosquittoSub

TIMEOUT = 10.0


def run(cmd, timeout=TIMEOUT + 5, input_bytes=None):
    return subprocess.run(cmd, input=input_bytes, stdin=None if input_bytes is not None else subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


def tls_client_context(cafile, cert=None, key=None, version=None):
    context = ssl.create_default_context(cafile=cafile)
    if cert:
        context.load_cert_chain(cert, key)
    if version:
        context.minimum_version = context.maximum_version = version
    return context


class TlsTestCase(GatewayTestCase):
    """A gateway with one mqtts and one https listener besides the plain ones."""

    listener_extra = {}
    auth = None
    mqtt = None  # the config's "mqtt" section, if any

    @classmethod
    def setUpClass(cls):
        cls.certs = Certificates()
        cert, key = cls.certs.server
        tls = dict({"port": 0, "cert": cert, "key": key, "ca": cls.certs.ca}, **cls.listener_extra)
        cls.config = {"listeners": {"mqtts": [tls], "https": [dict(tls)]}}
        if cls.auth:
            cls.config["auth"] = cls.auth
        if cls.mqtt:
            cls.config["mqtt"] = cls.mqtt
        try:
            super().setUpClass()
        except Exception:
            cls.certs.remove()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.certs.remove()

    @property
    def mqtts_port(self):
        return self.gateway.ports["mqtts"]

    @property
    def https_port(self):
        return self.gateway.ports["https"]

    def tls_sub(self, topic_filter, cafile=None, cert=None, key=None, qos=1):
        extra = ["--cafile", cafile or self.certs.ca]
        if cert:
            extra += ["--cert", cert, "--key", key]
        sub = MosquittoSub(self.mqtts_port, topic_filter, qos, client_id=self.client_id("sub"), extra=extra)
        self.addCleanup(sub.stop)
        return sub

    def tls_pub(self, topic, message, cafile=None, cert=None, key=None, port=None, tls=True, qos=1):
        cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port or self.mqtts_port), "-V", "mqttv311",
               "-t", topic, "-m", message, "-q", str(qos), "-i", self.client_id("pub")]
        if tls:
            cmd += ["--cafile", cafile or self.certs.ca]
        if cert:
            cmd += ["--cert", cert, "--key", key]
        return run(cmd)

    def assert_pub_ok(self, done):
        self.assertEqual(done.returncode, 0, "mosquitto_pub failed: %r %r" % (done.stdout, done.stderr))

    def https_json(self, path):
        done = run(["curl", "-sS", "--max-time", str(TIMEOUT), "--cacert", self.certs.ca, "-w", "\n%{http_code}",
                    "https://127.0.0.1:%d%s" % (self.https_port, path)])
        self.assertEqual(done.returncode, 0, "curl failed: %r" % done.stderr)
        body, _, status = done.stdout.decode().rpartition("\n")
        return int(status), json.loads(body) if body.startswith(("{", "[")) else body


class MqttOverTls(TlsTestCase):
    listener_extra = {"handshake_timeout": 1}

    def test_round_trip_with_mosquitto_clients(self):
        sub = self.tls_sub(self.topic())
        sub.wait_subscribed()
        self.assert_pub_ok(self.tls_pub(self.topic(), "over tls"))
        msg = sub.messages(1)[0]
        self.assertEqual((msg.topic, msg.payload), (self.topic(), "over tls"))

    def test_tls_and_plain_clients_share_the_broker(self):
        tls_sub = self.tls_sub(self.topic("#"))
        tls_sub.wait_subscribed()
        plain_sub = MosquittoSub(self.port, self.topic("#"), 1, client_id=self.client_id("plain"))
        self.addCleanup(plain_sub.stop)
        plain_sub.wait_subscribed()
        self.assert_pub_ok(self.tls_pub(self.topic("a"), "from tls"))
        self.assert_pub_ok(self.tls_pub(self.topic("b"), "from tcp", port=self.port, tls=False))
        for sub in (tls_sub, plain_sub):
            got = sorted((m.topic, m.payload) for m in sub.messages(2))
            self.assertEqual(got, [(self.topic("a"), "from tls"), (self.topic("b"), "from tcp")])

    def test_client_trusting_another_ca_is_refused(self):
        done = self.tls_pub(self.topic(), "nope", cafile=self.certs.other_ca)
        self.assertNotEqual(done.returncode, 0, "a client with the wrong CA connected")
        with self.assertRaises(ssl.SSLCertVerificationError):
            with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
                tls_client_context(self.certs.other_ca).wrap_socket(raw, server_hostname="127.0.0.1")
        # The failed handshakes disturbed no one.
        self.test_round_trip_with_mosquitto_clients()

    def test_tls_1_2_and_1_3_are_accepted_with_aead_ciphers(self):
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            context = tls_client_context(self.certs.ca, version=version)
            with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    self.assertEqual(tls.version(), name)
                    cipher = tls.cipher()[0]
                    self.assertTrue("GCM" in cipher or "CHACHA20" in cipher, cipher)
                    if name == "TLSv1.2":
                        self.assertTrue(cipher.startswith("ECDHE-"), cipher)

    def test_tls_1_1_and_weak_ciphers_are_refused(self):
        for port in (self.mqtts_port, self.https_port):
            # SECLEVEL=0 lets the client offer TLS 1.1: the refusal must be the server's.
            done = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_1",
                        "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", self.certs.ca], input_bytes=b"")
            output = (done.stdout + done.stderr).decode(errors="replace")
            self.assertNotEqual(done.returncode, 0, output)
            self.assertIn("protocol version", output)
            done = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                        "-cipher", "AES128-SHA", "-CAfile", self.certs.ca], input_bytes=b"")
            self.assertNotEqual(done.returncode, 0, "a TLS 1.2 CBC cipher without forward secrecy was accepted")
            for flag in ("-tls1_2", "-tls1_3"):
                done = run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, flag, "-CAfile",
                            self.certs.ca, "-verify_return_error"], input_bytes=b"")
                output = done.stdout.decode(errors="replace")
                self.assertEqual(done.returncode, 0, output + done.stderr.decode(errors="replace"))
                self.assertIn("Verify return code: 0 (ok)", output)

    def test_handshake_timeout_closes_a_silent_connection(self):
        with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
            started = time.monotonic()
            self.assertEqual(raw.recv(1), b"", "a connection without a handshake was not closed")
            self.assertLess(time.monotonic() - started, TIMEOUT)
        self.test_round_trip_with_mosquitto_clients()


class PreConnectLimitsOverTls(TlsTestCase):
    """As over plain TCP (test_connect.py): before its CONNECT a TLS peer is
    closed on a first byte that is not a CONNECT's or a CONNECT header over
    max_connect_size, long before the connect timeout."""

    mqtt = {"connect_timeout": 60, "max_connect_size": 1024}

    def assert_closed_after(self, data):
        context = tls_client_context(self.certs.ca)
        with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.settimeout(5.0)
                tls.sendall(data)
                try:
                    got = tls.recv(1)
                except (ConnectionResetError, ssl.SSLEOFError):
                    got = b""
                except socket.timeout:
                    self.fail("not closed within 5 s (connect_timeout is 60 s)")
                self.assertEqual(got, b"", "the server answered")

    def test_first_byte_not_connect_closes_at_once(self):
        self.assert_closed_after(b"\x30\x97\xff\x3f")

    def test_connect_over_max_connect_size_closes_on_its_header(self):
        self.assert_closed_after(b"\x10\x80\x80\x0c")  # remaining length 196 KiB

    def test_a_connect_within_the_limit_is_served(self):
        sub = self.tls_sub(self.topic())
        sub.wait_subscribed()
        self.assert_pub_ok(self.tls_pub(self.topic(), "within the limit"))
        self.assertEqual(sub.messages(1)[0].payload, "within the limit")


class ConnectDeadlineOverTls(TlsTestCase):
    """The connect timeout is a deadline from the TCP accept: a peer that
    stretches its TLS handshake does not get a fresh connect timeout after it."""

    mqtt = {"connect_timeout": 2}
    listener_extra = {"handshake_timeout": 30}

    def test_a_slow_handshake_uses_up_the_connect_timeout(self):
        context = tls_client_context(self.certs.ca)
        with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
            accepted = time.monotonic()
            # The slow peer: 1.5 s of silence before its ClientHello (the
            # server must not close it yet: the handshake timeout is 30 s).
            raw.settimeout(1.5)
            with self.assertRaises(socket.timeout):
                raw.recv(1)
            raw.settimeout(TIMEOUT)
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                try:
                    got = tls.recv(1)
                except (ConnectionResetError, ssl.SSLEOFError):
                    got = b""
                closed = time.monotonic() - accepted
            self.assertEqual(got, b"", "the server answered")
            # Counted from the handshake's end it would close at 3.5 s or later.
            self.assertLess(closed, 3.0, "closed %.2f s after accept (connect_timeout is 2 s)" % closed)
        self.assert_pub_ok(self.tls_pub(self.topic(), "others are served"))


class HttpsListener(TlsTestCase):
    def test_curl_healthz_and_stats(self):
        status, _ = self.https_json("/healthz")
        self.assertEqual(status, 200)
        status, stats = self.https_json("/api/v1/stats")
        self.assertEqual(status, 200)
        self.assertIsInstance(stats, dict)

    def test_https_sees_mqtts_clients(self):
        sub = self.tls_sub(self.topic())
        sub.wait_subscribed()
        status, clients = self.https_json("/api/v1/clients")
        self.assertEqual(status, 200)
        entry = next((c for c in clients_of(clients) if c["clientid"] == self.client_id("sub")), None)
        self.assertIsNotNone(entry, clients)
        self.assertEqual(entry.get("protocol"), "mqtts", entry)

    def test_sse_over_https_delivers_live_messages(self):
        # https:// SSE runs through Beast and OpenSSL, http:// on the TCP path:
        # both drivers are tested (this one here, the other in node/sse).
        context = tls_client_context(self.certs.ca)
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=TIMEOUT) as raw, \
                context.wrap_socket(raw, server_hostname="localhost") as tls:
            topic = self.topic()
            tls.sendall(("GET /api/v1/stream/sse?filter=%s HTTP/1.1\r\nHost: localhost\r\n\r\n" % topic).encode())
            received = b""
            deadline = time.monotonic() + TIMEOUT
            while b": mqgate stream" not in received and time.monotonic() < deadline:
                chunk = tls.recv(4096)
                self.assertTrue(chunk, "closed before the stream began: %r" % received)
                received += chunk
            self.assertTrue(received.startswith(b"HTTP/1.1 200 OK\r\n"), received)
            self.assertIn(b"text/event-stream", received)
            self.assert_pub_ok(self.tls_pub(topic, "over https"))
            while b"over https" not in received and time.monotonic() < deadline:
                chunk = tls.recv(4096)
                self.assertTrue(chunk, "closed before the message: %r" % received)
                received += chunk
            self.assertIn(b"event: message\ndata: ", received)
            self.assertIn(('"topic":"%s"' % topic).encode(), received)

    def test_curl_with_the_wrong_ca_fails(self):
        done = run(["curl", "-sS", "--max-time", str(TIMEOUT), "--cacert", self.certs.other_ca,
                    "https://127.0.0.1:%d/healthz" % self.https_port])
        self.assertNotEqual(done.returncode, 0)
        status, _ = self.https_json("/healthz")
        self.assertEqual(status, 200)


def clients_of(listing):
    """The entries of an /api/v1/clients page."""
    return listing["data"]


class MutualTls(TlsTestCase):
    listener_extra = {"require_client_cert": True}
    auth = {"use_identity_as_username": True}

    def test_without_a_client_certificate_the_handshake_fails(self):
        done = self.tls_pub(self.topic(), "anonymous")
        self.assertNotEqual(done.returncode, 0, "connected without a client certificate")
        done = run(["curl", "-sS", "--max-time", str(TIMEOUT), "--cacert", self.certs.ca,
                    "https://127.0.0.1:%d/healthz" % self.https_port])
        self.assertNotEqual(done.returncode, 0, "https answered without a client certificate")

    def test_a_certificate_of_another_ca_is_refused(self):
        scratch = tempfile.mkdtemp(prefix="mqgate-tls-other-")
        self.addCleanup(shutil.rmtree, scratch, True)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "k.pem", "-out", "c.pem", "-days", "2", "-subj", "/CN=intruder", cwd=scratch)
        done = self.tls_pub(self.topic(), "intruder", cert=os.path.join(scratch, "c.pem"),
                            key=os.path.join(scratch, "k.pem"))
        self.assertNotEqual(done.returncode, 0, "a self-signed client certificate was accepted")

    def test_with_a_client_certificate_it_works_and_the_cn_is_the_username(self):
        cert, key = self.certs.client
        sub = self.tls_sub(self.topic(), cert=cert, key=key)
        sub.wait_subscribed()
        self.assert_pub_ok(self.tls_pub(self.topic(), "mutual", cert=cert, key=key))
        self.assertEqual(sub.messages(1)[0].payload, "mutual")
        done = run(["curl", "-sS", "--max-time", str(TIMEOUT), "--cacert", self.certs.ca, "--cert", cert,
                    "--key", key, "https://127.0.0.1:%d/api/v1/clients" % self.https_port])
        self.assertEqual(done.returncode, 0, done.stderr)
        clients = clients_of(json.loads(done.stdout))
        entry = next((c for c in clients if c["clientid"] == self.client_id("sub")), None)
        self.assertIsNotNone(entry, clients)
        self.assertEqual(entry.get("username"), "device-42", entry)


class CertificateReload(TlsTestCase):
    def peer_serial(self):
        context = tls_client_context(self.certs.ca)
        with socket.create_connection(("127.0.0.1", self.mqtts_port), timeout=TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                cert = tls.getpeercert()
                return int(cert["serialNumber"], 16), dict(x[0] for x in cert["subject"])["commonName"]

    def test_sighup_serves_the_new_certificate_and_keeps_connections(self):
        old_serial, _ = self.peer_serial()
        sub = self.tls_sub(self.topic())
        sub.wait_subscribed()

        # A new certificate (new serial, new subject) replaces the files in place.
        new_cert, new_key = self.certs.issue("server-next", "renewed.localhost", server=True)
        cert, key = self.certs.server
        os.replace(new_key, key)
        os.replace(new_cert, cert)
        self.gateway.proc.send_signal(signal.SIGHUP)

        deadline = time.monotonic() + TIMEOUT
        pause = threading.Event()
        seen = (old_serial, None)
        while time.monotonic() < deadline and seen[0] == old_serial:
            pause.wait(0.05)
            seen = self.peer_serial()
        self.assertEqual(seen, (self.certs.serial, "renewed.localhost"), "new connections still see the old certificate")

        # The connection made before the reload is still up and served.
        self.assert_pub_ok(self.tls_pub(self.topic(), "after reload"))
        self.assertEqual(sub.messages(1)[0].payload, "after reload")
        status, _ = self.https_json("/healthz")
        self.assertEqual(status, 200)

    def test_a_broken_file_on_reload_keeps_the_old_certificate(self):
        serial, _ = self.peer_serial()
        scratch = tempfile.mkdtemp(prefix="mqgate-tls-broken-")
        self.addCleanup(shutil.rmtree, scratch, True)
        cert, _ = self.certs.server
        backup = os.path.join(scratch, "server.pem")
        shutil.copy(cert, backup)
        with open(cert, "w") as f:
            f.write("not a certificate\n")
        try:
            self.gateway.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + TIMEOUT
            pause = threading.Event()
            while "keeping the previous certificate" not in self.gateway.log_text():
                self.assertLess(time.monotonic(), deadline, "no reload failure logged\n" + self.gateway.log_tail())
                pause.wait(0.05)
            self.assertEqual(self.peer_serial()[0], serial)
        finally:
            shutil.copy(backup, cert)


class StartupErrors(unittest.TestCase):
    """A TLS file problem is a config error: exit code 2, the key path named."""

    @classmethod
    def setUpClass(cls):
        cls.certs = Certificates()

    @classmethod
    def tearDownClass(cls):
        cls.certs.remove()

    def start(self, listener_kind, **tls):
        config = {"listeners": {listener_kind: [dict({"port": 0}, **tls)]}}
        path = os.path.join(self.certs.dir, "bad-%s.json" % self.id().rsplit(".", 1)[-1])
        with open(path, "w") as f:
            json.dump(config, f)
        done = run([gateway_binary(), "--bind", "127.0.0.1", "--mqtt-port", "0", "--http-port", "0",
                    "--data-dir", os.path.join(self.certs.dir, "data"), "--config", path], timeout=20)
        return done.returncode, done.stderr.decode(errors="replace"), done.stdout.decode(errors="replace")

    def test_missing_certificate_file(self):
        _, key = self.certs.server
        missing = os.path.join(self.certs.dir, "missing.pem")
        code, err, out = self.start("mqtts", cert=missing, key=key)
        self.assertEqual(code, 2, err)
        self.assertIn("listeners.mqtts[0].cert", err)
        self.assertIn("cannot read " + missing, err)
        self.assertNotIn("ready", out)

    def test_check_config_opens_the_tls_files_too(self):
        _, key = self.certs.server
        missing = os.path.join(self.certs.dir, "missing.pem")
        path = os.path.join(self.certs.dir, "check-config.json")
        with open(path, "w") as f:
            json.dump({"listeners": {"https": [{"port": 0, "cert": missing, "key": key}]}}, f)
        done = run([gateway_binary(), "--config", path, "--check-config"], timeout=20)
        err = done.stderr.decode(errors="replace")
        self.assertEqual(done.returncode, 2, err)
        self.assertIn("listeners.https[0].cert", err)
        self.assertIn("cannot read " + missing, err)
        # The same file with a readable certificate passes the check.
        cert, _ = self.certs.server
        with open(path, "w") as f:
            json.dump({"listeners": {"https": [{"port": 0, "cert": cert, "key": key}]}}, f)
        done = run([gateway_binary(), "--config", path, "--check-config"], timeout=20)
        self.assertEqual(done.returncode, 0, done.stderr.decode(errors="replace"))

    def test_key_not_matching_the_certificate(self):
        cert, _ = self.certs.server
        _, other_key = self.certs.client
        code, err, _ = self.start("https", cert=cert, key=other_key)
        self.assertEqual(code, 2, err)
        self.assertIn("listeners.https[0].key", err)
        self.assertIn("does not match", err)

    def test_client_certificates_required_without_a_ca(self):
        cert, key = self.certs.server
        code, err, _ = self.start("mqtts", cert=cert, key=key, require_client_cert=True)
        self.assertEqual(code, 2, err)
        self.assertIn("listeners.mqtts[0].ca", err)


if __name__ == "__main__":
    unittest.main()
