"""What the webhook tests share: a receiver that verifies Standard Webhooks
signatures and records what arrives, a webhook's configuration, and the
gateway's webhook figures."""

import base64
import hashlib
import hmac
import http.server
import json
import shutil
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import Gateway

WAIT = 30.0  # bounded waits; sanitizer builds are slow, retries back off up to 10 s
KEY = b"webhook test key 0123456789"
SECRET = "whsec_" + base64.b64encode(KEY).decode()


def verify(headers, body):
    """The receiver's side of Standard Webhooks: the signature over id.timestamp.body."""
    signed = ("%s.%s." % (headers["webhook-id"], headers["webhook-timestamp"])).encode() + body
    expected = "v1," + base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    return expected in headers.get("webhook-signature", "").split(" ")


class Receiver:
    """An HTTP server on 127.0.0.1 recording each POST. `status` is what it
    answers, after `delay` seconds; deliveries are recorded only when it answers 2xx, one per event
    (a batch's array is taken apart; `requests` keeps each batch whole)."""

    def __init__(self, port=0, tls=None):
        self.cond = threading.Condition()
        self.status = 200
        self.delivered = []  # (headers dict, event dict), in arrival order
        self.requests = []  # (headers dict, parsed body) of each delivered request
        self.ports = set()  # the gateway's port of each request's connection: one per connection
        self.closed = 0  # connections ended (by either side)
        self.attempts = 0
        self.bad_signatures = 0
        self.delay = 0.0  # seconds each answer waits (a slow receiver), or until `release` is set
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept alive

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.cond:
                    receiver.attempts += 1
                    receiver.ports.add(self.client_address[1])
                    status = receiver.status
                    if not verify(headers, body):
                        receiver.bad_signatures += 1
                        status = 401
                    elif 200 <= status < 300:
                        parsed = json.loads(body)
                        receiver.requests.append((headers, parsed))
                        for event in parsed if isinstance(parsed, list) else [parsed]:
                            receiver.delivered.append((headers, event))
                    receiver.cond.notify_all()
                    delay = receiver.delay
                if delay:
                    receiver.release.wait(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def finish(self):
                super().finish()
                with receiver.cond:
                    receiver.closed += 1
                    receiver.cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:  # an ssl.SSLContext: the handshake happens at accept
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def wait(self, predicate, timeout=WAIT):
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self), timeout)

    def events(self, client=None):
        with self.cond:
            return [e for _, e in self.delivered if client is None or e.get("clientid") == client]


def webhook_config(port, **extra):
    hook = {"name": "test", "url": "http://127.0.0.1:%d/hook" % port, "secret": SECRET,
            "events": ["client.connected", "client.disconnected", "session.subscribed", "message.publish"],
            "topics": ["wh/#"], "headers": {"X-Test": "yes"}, "timeout_ms": 2000}
    hook.update(extra)
    return {"webhooks": [hook]}


def poll(predicate, timeout=WAIT, step=0.05):
    """For what no event signals (the gateway's counters)."""
    return bool(harness.poll(predicate, timeout, step))


def all_stats(gw):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/stats" % gw.ports["http"], timeout=5) as r:
        return json.load(r)


def get(gw, path):
    """(status, JSON body) of a GET on the gateway's REST API."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (gw.ports["http"], path), timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def stats(gw):
    return all_stats(gw)["webhooks"]


class WebhookTestCase(unittest.TestCase):
    """Receivers and gateways that tearDown closes; the gateways share one data directory."""

    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="mqgate-webhooks-")
        self.receivers = []  # closed by tearDown
        self.gateways = []

    def tearDown(self):
        for gw in self.gateways:
            gw.kill()
        for r in self.receivers:
            r.release.set()  # a slow receiver's requests end now
            r.close()
        shutil.rmtree(self.data, ignore_errors=True)

    def receiver(self, port=0, tls=None):
        r = Receiver(port, tls)
        self.receivers.append(r)
        return r

    def start(self, config, port=0):
        gw = Gateway(config, data_dir=self.data, mqtt_port=port)
        gw.start()
        self.gateways.append(gw)
        return gw
