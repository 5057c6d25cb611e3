"""Requests to devices (issue 14): POST /api/v1/requests against the real
binary, with paho-mqtt devices that answer on the response topic, answer
late, or never answer."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import test_rest
from pahoclient import PahoClient

TIMEOUT = 10.0


class Device:
    """A simulated device: subscribes to `request_filter` and answers each
    request with what `answer(message)` returns, (topic, payload) or None
    (silence). Answers are published from paho's network thread."""

    def __init__(self, case, client_id, request_filter, answer):
        self.client = PahoClient(client_id)
        case.addCleanup(self.client.stop)
        self.answer = answer
        self.client.client.on_message = self._on_message
        self.client.connect(case.port)
        self.client.subscribe(request_filter, 1)

    def _on_message(self, client, userdata, message):
        reply = self.answer(message)
        if reply is not None:
            client.publish(reply[0], reply[1], 1)


def last_level(topic):
    return topic.rsplit("/", 1)[-1]


class Background:
    """One HTTP request on its own thread, for requests that wait."""

    def __init__(self, case, body):
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(case, body), daemon=True)
        self.thread.start()

    def _run(self, case, body):
        self.result = case.request("POST", "/api/v1/requests", body)

    def join(self):
        self.thread.join(TIMEOUT * 2)
        assert not self.thread.is_alive(), "the request did not finish"
        return self.result


class RequestsTestCase(test_rest.RestTestCase):
    def post(self, body):
        return self.request("POST", "/api/v1/requests", body)

    def stats(self):
        status, _, body = self.get("/api/v1/stats")
        self.assertEqual(status, 200)
        return body

    def raw_statuses(self, request_bytes):
        """Sends raw request bytes on one connection, reads until the server
        closes it and returns the answers' status codes in order, with what
        was received."""
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=TIMEOUT) as s:
            s.sendall(request_bytes)
            received = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
        return re.findall(rb"HTTP/1\.1 (\d{3}) ", received), received

    def wait_pending(self, count):
        test_rest.eventually(lambda: self.stats()["requests_pending"] == count, "%d pending request(s)" % count)


class RequestsTest(RequestsTestCase):
    def echo_device(self, base, client_id=None):
        """Answers base/req/<id> on base/res/<id> with "pong:" + the payload."""
        return Device(self, client_id or self.client_id("device"), base + "/req/+",
                      lambda m: (base + "/res/" + last_level(m.topic), b"pong:" + m.payload))

    def test_request_is_answered_on_its_request_id_topic(self):
        base = self.topic()
        self.echo_device(base)
        status, _, body = self.post({"topic": base + "/req/{request_id}", "response_topic": base + "/res/{request_id}",
                                     "payload": "ping", "timeout_ms": 5000})
        self.assertEqual(status, 200, body)
        rid = body["request_id"]
        self.assertTrue(rid)
        self.assertEqual(body["response"]["topic"], base + "/res/" + rid)
        self.assertEqual((body["response"]["payload"], body["response"]["encoding"]), ("pong:ping", "plain"))
        self.assertEqual(body["response"]["qos"], 1)
        self.assertGreater(body["response"]["ts"], 0)
        self.assertGreaterEqual(body["elapsed_ms"], 0)
        # base64 in, binary reply out as base64.
        Device(self, self.client_id("bin"), base + "/bin/req",
               lambda m: (base + "/bin/res", b"\xff" + m.payload))
        status, _, body = self.post({"topic": base + "/bin/req", "response_topic": base + "/bin/res",
                                     "payload": "AAE=", "encoding": "base64"})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["response"]["payload"], body["response"]["encoding"]), ("/wAB", "base64"))

    def test_504_when_the_device_does_not_answer(self):
        base = self.topic()
        Device(self, self.client_id("mute"), base + "/req", lambda m: None)
        status, _, body = self.post({"topic": base + "/req", "response_topic": base + "/res", "timeout_ms": 300})
        self.assertEqual(status, 504, body)
        self.assertEqual(body["error"]["code"], "timeout")
        self.assertGreaterEqual(body["elapsed_ms"], 300)
        self.assertTrue(body["request_id"])

    def test_404_at_once_without_a_subscriber(self):
        base = self.topic()
        status, _, body = self.post({"topic": base + "/req", "response_topic": base + "/res", "timeout_ms": 60000})
        self.assertEqual(status, 404, body)
        self.assertEqual(body["error"]["code"], "no_matching_subscribers")
        # Waiting for a device that never comes ends in the same answer.
        status, _, body = self.post({"topic": base + "/req", "response_topic": base + "/res",
                                     "wait_for_connect_ms": 200})
        self.assertEqual(status, 404, body)

    def test_wait_for_connect_publishes_once_the_device_subscribes(self):
        base = self.topic()
        pending = Background(self, {"topic": base + "/req/{request_id}", "response_topic": base + "/res/{request_id}",
                                    "payload": "late", "wait_for_connect_ms": 8000, "timeout_ms": 5000})
        self.wait_pending(1)
        self.echo_device(base)
        status, _, body = pending.join()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["response"]["payload"], "pong:late")

    def test_payload_correlation_with_replies_in_reverse_order(self):
        base = self.topic()
        held = []
        lock = threading.Lock()

        def answer_when_both_arrived(message):
            # Holds the first request; on the second, answers the second, then the first.
            with lock:
                held.append(json.loads(message.payload))
                if len(held) < 2:
                    return None
                first, second = held
            for request in (second, first):
                self.device.client.client.publish(base + "/res", json.dumps({"rid": request["rid"],
                                                                             "echo": request["n"]}), 1)
            return None

        self.device = Device(self, self.client_id("device"), base + "/req", answer_when_both_arrived)
        requests = []
        for n in (1, 2):
            requests.append(Background(self, {"topic": base + "/req", "response_topic": base + "/res",
                                              "payload": json.dumps({"n": n}), "correlation": "payload:rid",
                                              "timeout_ms": 8000}))
        for n, pending in zip((1, 2), requests):
            status, _, body = pending.join()
            self.assertEqual(status, 200, body)
            reply = json.loads(body["response"]["payload"])
            self.assertEqual((reply["rid"], reply["echo"]), (body["request_id"], n))

    def test_100_targets_answered_in_parallel_in_target_order(self):
        # 100 paho devices, each on its own connection; every fourth never answers.
        base = self.topic()
        devices = ["dev%03d" % i for i in range(100)]
        silent = set(devices[3::4])
        for name in devices:
            answer = (lambda m: None) if name in silent else \
                (lambda m: (m.topic[:-len("req")] + "res", b"ok " + m.topic.split("/")[-2].encode()))
            Device(self, self.client_id(name), base + "/" + name + "/req", answer)
        targets = devices + ["absent"]
        timeout_ms = 3000
        started = time.monotonic()
        status, _, body = self.post({"topic": base + "/{clientid}/req", "response_topic": base + "/{clientid}/res",
                                     "payload": "status?", "targets": targets, "timeout_ms": timeout_ms})
        took = time.monotonic() - started
        self.assertEqual(status, 200, body)
        results = body["results"]
        self.assertEqual([r["clientid"] for r in results], targets)
        expected = [("timeout" if t in silent else "ok") for t in devices] + ["no_matching_subscribers"]
        self.assertEqual([r["status"] for r in results], expected)
        for r in results:
            if r["status"] == "ok":
                self.assertEqual(r["response"]["payload"], "ok " + r["clientid"])
                self.assertLess(r["elapsed_ms"], timeout_ms)
            else:
                self.assertNotIn("response", r)
        # One timeout for all: the silent ones did not wait one after another.
        self.assertLess(max(r["elapsed_ms"] for r in results), timeout_ms * 2)
        self.assertLess(took, timeout_ms * 2 / 1000)
        self.assertEqual(self.stats()["requests_pending"], 0)

    def test_no_internal_subscription_left_behind(self):
        base = self.topic()
        before = self.stats()["internal_subscriptions"]
        self.echo_device(base)
        Device(self, self.client_id("mute"), base + "/mute", lambda m: None)
        self.assertEqual(self.post({"topic": base + "/req/{request_id}", "response_topic": base + "/res/{request_id}"})[0],
                         200)
        self.assertEqual(self.post({"topic": base + "/mute", "response_topic": base + "/res/x", "timeout_ms": 100})[0],
                         504)
        # A client that goes away mid-wait takes its request with it.
        body = json.dumps({"topic": base + "/mute", "response_topic": base + "/res/gone", "timeout_ms": 60000})
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=TIMEOUT) as s:
            s.sendall(("POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode())
            self.wait_pending(1)
            test_rest.eventually(lambda: self.stats()["internal_subscriptions"] == before + 1, "the reply subscription")
        self.wait_pending(0)
        test_rest.eventually(lambda: self.stats()["internal_subscriptions"] == before, "the reply subscription gone")
        status, _, subs = self.get("/api/v1/subscriptions?topic=" + base + "/res/gone")
        self.assertEqual((status, subs["meta"]["count"]), (200, 0))

    def test_pipelined_answers_keep_their_order(self):
        base = self.topic()
        Device(self, self.client_id("mute"), base + "/req", lambda m: None)
        body = json.dumps({"topic": base + "/req", "response_topic": base + "/res", "timeout_ms": 300})
        statuses, received = self.raw_statuses(
            ("POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\n\r\n%sGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
             % (len(body), body)).encode())
        self.assertEqual(statuses, [b"504", b"200"], received)

    def test_invalid_bodies_are_400(self):
        base = self.topic()
        for body, code in (({"topic": base}, "invalid_response_topic"),
                           ({"topic": base + "/#", "response_topic": "r"}, "invalid_topic"),
                           ({"topic": base, "response_topic": base}, "invalid_response_topic"),
                           ({"topic": base, "response_topic": "r", "timeout_ms": 60001}, "invalid_timeout_ms"),
                           ({"topic": base, "response_topic": "r", "correlation": "payload:k", "payload": "[]"},
                            "invalid_payload")):
            with self.subTest(body=body):
                self.assert_error(self.post(body), 400, code)


class ReadmeExamplesTest(RequestsTestCase):
    README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")

    def test_the_readme_devices_answer_the_readme_requests(self):
        # The paho devices of "Requests to devices", each run as written (only
        # the broker's address changed), called with the body of the curl after it.
        with open(self.README, encoding="utf-8") as f:
            text = f.read()
        start = text.index("## Requests to devices")
        section = text[start:text.index("\n## ", start + 1)]
        devices = re.findall(r"```python\n(.*?)```", section, re.S)
        bodies = re.findall(r"-d '(.*?)'\n```", section, re.S)
        self.assertEqual(len(devices), 2)
        self.assertEqual(len(bodies), 2)
        for device, body in zip(devices, bodies):
            with self.subTest(body=body):
                code = device.replace('client.connect("localhost", 1883)', 'client.connect("127.0.0.1", %d)' % self.port)
                self.assertNotEqual(code, device)
                process = subprocess.Popen([sys.executable, "-c", code])
                self.addCleanup(process.wait, TIMEOUT)
                self.addCleanup(process.kill)
                request = json.loads(body)
                request["wait_for_connect_ms"] = 8000  # the device's start-up
                status, _, answer = self.post(request)
                self.assertEqual(status, 200, answer)
                reply = json.loads(answer["response"]["payload"])
                self.assertTrue(reply["running"])
                if request.get("correlation") == "payload:rid":
                    self.assertEqual(reply["rid"], answer["request_id"])
                else:
                    self.assertTrue(answer["response"]["topic"].endswith("/" + answer["request_id"]))
                process.kill()
                process.wait(TIMEOUT)


class PendingCapTest(RequestsTestCase):
    config = {"requests": {"max_pending": 3}, "http": {"idle_timeout": 1}}

    def test_idle_timeout_applies_again_after_an_answer(self):
        # While an answer is awaited the connection is read without a deadline;
        # once it is sent, an idle keep-alive connection is closed as usual.
        base = self.topic()
        Device(self, self.client_id("mute"), base + "/req", lambda m: None)
        body = json.dumps({"topic": base + "/req", "response_topic": base + "/res", "timeout_ms": 1500})
        statuses, received = self.raw_statuses(
            ("POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode())
        # Longer than idle_timeout (1 s) went by before the answer: it still came, then the close.
        self.assertEqual(statuses, [b"504"], received)

    def test_429_over_the_pending_cap(self):
        base = self.topic()
        Device(self, self.client_id("mute"), base + "/+/req", lambda m: None)
        three = Background(self, {"topic": base + "/{clientid}/req", "response_topic": base + "/{clientid}/res",
                                  "targets": ["a", "b", "c"], "timeout_ms": 1500})
        self.wait_pending(3)
        self.assert_error(self.post({"topic": base + "/d/req", "response_topic": base + "/d/res"}),
                          429, "too_many_requests")
        status, _, body = three.join()
        self.assertEqual([r["status"] for r in body["results"]], ["timeout"] * 3)
        # The slots are free again.
        self.assertEqual(self.post({"topic": base + "/d/req", "response_topic": base + "/d/res",
                                    "timeout_ms": 50})[0], 504)


class RequestAclTest(RequestsTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mqgate-requests-")
        acl = os.path.join(cls.dir, "acl")
        with open(acl, "w") as f:
            f.write("user svc\ntopic write dev/#\ntopic read res/#\n")
        cls.config = {"auth": {"acl_file": acl,
                               "tokens": [{"token": "svc-token", "name": "svc", "role": "publish"},
                                          {"token": "sub-token", "name": "watcher", "role": "subscribe"}]}}
        super().setUpClass()

    def post_as(self, token, body):
        return self.request("POST", "/api/v1/requests", body, headers={"Authorization": "Bearer " + token})

    def test_publish_and_subscribe_rights_are_both_needed(self):
        self.assertEqual(self.post({"topic": "dev/1", "response_topic": "res/1"})[0], 401)
        self.assert_error(self.post_as("sub-token", {"topic": "dev/1", "response_topic": "res/1"}), 403, "forbidden")
        self.assert_error(self.post_as("svc-token", {"topic": "other/1", "response_topic": "res/1"}), 403, "forbidden")
        self.assert_error(self.post_as("svc-token", {"topic": "dev/1", "response_topic": "other/1"}), 403, "forbidden")
        # Allowed both ways: what remains is that no device listens.
        self.assert_error(self.post_as("svc-token", {"topic": "dev/1", "response_topic": "res/1"}),
                          404, "no_matching_subscribers")
