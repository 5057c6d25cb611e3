"""REST API (issue 3) against the real binary: curl and urllib where a user
would use them, mosquitto_pub/mosquitto_sub and paho as the MQTT peers."""

import base64
import http.client
import json
import re
import socket
import subprocess
import threading
import time
import unittest
import urllib.parse

import packets
from harness import GatewayTestCase
from mosquitto_cli import MosquittoSub, mosquitto_pub
from pahoclient import PahoClient

TIMEOUT = 10.0


def eventually(check, what, timeout=TIMEOUT):
    """Re-checks a REST view until it holds. Broker events reach the event log
    just after the broker's state changes, so a view can lag the MQTT side by
    a moment; every wait here is bounded."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        pause.wait(0.02)
    raise AssertionError("%s not seen within %.0f s (last: %r)" % (what, timeout, last))


class RestTestCase(GatewayTestCase):
    @property
    def http_port(self):
        return self.gateway.ports["http"]

    def request(self, method, path, body=None, headers=None, raw_body=None):
        """(status, headers dict with lower-case names, parsed JSON or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            hdrs = dict(headers or {})
            data = raw_body
            if body is not None:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8")
            content_type = resp.getheader("Content-Type") or ""
            parsed = json.loads(text) if content_type.startswith("application/json") and text else text
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed
        finally:
            conn.close()

    def get(self, path):
        return self.request("GET", path)

    def curl(self, *args):
        """curl as a user would run it: (status, body text)."""
        done = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
                              capture_output=True, timeout=TIMEOUT, check=True)
        text, _, code = done.stdout.decode().rpartition("\n")
        return int(code), text

    def assert_error(self, response, status, code):
        got_status, headers, body = response
        self.assertEqual(got_status, status, body)
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"], body)

    def paho(self, client_id, clean_session=True, will=None, username=None):
        client = PahoClient(client_id, clean_session=clean_session)
        if username:
            client.client.username_pw_set(username)
        self.addCleanup(client.stop)
        client.connect(self.port, will=will)
        return client

    def sub(self, topic_filter, qos=0, **kwargs):
        s = MosquittoSub(self.port, topic_filter, qos=qos, **kwargs)
        self.addCleanup(s.stop)
        s.wait_subscribed()
        return s

    def events(self, since=0):
        status, _, body = self.get("/api/v1/events?since=%d&limit=1000" % since)
        self.assertEqual(status, 200)
        return body["data"]


class PublishTest(RestTestCase):
    def test_rest_publish_reaches_mosquitto_sub_with_qos_and_retain(self):
        topic = self.topic()
        live = self.sub(topic, qos=2)
        status, _, body = self.request("POST", "/api/v1/publish",
                                       {"topic": topic, "payload": "hello", "qos": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["matched"], 1)
        self.assertTrue(body["id"])
        # The payload_encoding synonym (EMQX) and base64.
        status, _, body = self.request("POST", "/api/v1/publish", {
            "topic": topic, "payload": base64.b64encode(b"kept").decode(),
            "payload_encoding": "base64", "qos": 2, "retain": True})
        self.assertEqual(status, 200, body)
        got = live.messages(2)
        self.assertEqual([(m.qos, m.retain, m.topic, m.payload) for m in got],
                         [(1, 0, topic, "hello"), (2, 0, topic, "kept")])
        # A later subscriber receives the retained copy with the RETAIN flag.
        later = self.sub(topic, qos=2)
        (retained,) = later.messages(1)
        self.assertEqual((retained.qos, retained.retain, retained.payload), (2, 1, "kept"))

    def test_ids_are_unique(self):
        topic = self.topic()
        self.sub(topic)
        ids = set()
        for _ in range(5):
            status, _, body = self.request("POST", "/api/v1/publish", {"topic": topic, "payload": "x"})
            self.assertEqual(status, 200, body)
            ids.add(body["id"])
        self.assertEqual(len(ids), 5)

    def test_publish_without_subscribers_answers_202(self):
        status, _, body = self.request("POST", "/api/v1/publish", {"topic": self.topic(), "payload": "x"})
        self.assertEqual(status, 202)
        self.assertEqual(body, {"message": "no_matching_subscribers", "matched": 0})

    def test_publish_with_curl(self):
        topic = self.topic()
        live = self.sub(topic, qos=1)
        code, text = self.curl("-X", "POST", "-H", "Content-Type: application/json",
                               "-d", json.dumps({"topic": topic, "payload": "from curl", "qos": 1}),
                               "http://127.0.0.1:%d/api/v1/publish" % self.http_port)
        self.assertEqual(code, 200, text)
        (m,) = live.messages(1)
        self.assertEqual((m.qos, m.payload), (1, "from curl"))

    def test_bulk_answers_per_item_in_order(self):
        topic = self.topic()
        live = self.sub(topic)
        status, _, body = self.request("POST", "/api/v1/publish/bulk", [
            {"topic": topic, "payload": "one"},
            {"topic": topic + "/+", "payload": "bad"},
            {"topic": self.topic("nobody"), "payload": "unheard"},
            {"topic": topic, "payload": "two", "qos": 5},
            {"topic": topic, "payload": "three"},
        ])
        self.assertEqual(status, 200, body)
        self.assertEqual([item["status"] for item in body], [200, 400, 202, 400, 200])
        self.assertEqual(body[1]["error"]["code"], "invalid_topic")
        self.assertEqual(body[3]["error"]["code"], "invalid_qos")
        self.assertEqual([m.payload for m in live.messages(2)], ["one", "three"])

    def test_publish_to_sys_is_forbidden(self):
        # Only the broker writes $SYS: 403 forbidden_topic, alone or in a bulk,
        # retained or not, and no subscriber sees it.
        for retain in (False, True):
            self.assert_error(self.request("POST", "/api/v1/publish", {
                "topic": "$SYS/broker/uptime", "payload": "fake", "retain": retain}), 403, "forbidden_topic")
        status, _, body = self.request("POST", "/api/v1/publish/bulk", [
            {"topic": "$SYS/brokers/mqgate/clients/spoofed/connected", "payload": "{}"},
            {"topic": self.topic(), "payload": "fine"}])
        self.assertEqual(status, 200, body)
        self.assertEqual([item["status"] for item in body], [403, 202])
        self.assertEqual(body[0]["error"]["code"], "forbidden_topic")
        status, _, body = self.get("/api/v1/retained/$SYS/broker/uptime")
        self.assertNotEqual(body.get("payload") if status == 200 else None, "fake")

    def test_bulk_is_bounded(self):
        items = [{"topic": self.topic(), "payload": ""}] * 1001
        self.assert_error(self.request("POST", "/api/v1/publish/bulk", items), 400, "too_many_items")


class RetainedTest(RestTestCase):
    def test_mosquitto_retained_message_is_listed_read_and_deleted(self):
        topic = self.topic("room 1/temp")
        mosquitto_pub(self.port, topic, "21.5", qos=1, retain=True, client_id=self.client_id("pub"))
        flt = urllib.parse.quote(self.topic() + "/#", safe="")
        status, _, body = self.get("/api/v1/retained?filter=" + flt)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["meta"]["count"], 1)
        (item,) = body["data"]
        self.assertEqual((item["topic"], item["payload"], item["encoding"], item["qos"]),
                         (topic, "21.5", "plain", 1))
        self.assertEqual(item["from_clientid"], self.client_id("pub"))
        self.assertTrue(item["published_at"].endswith("Z"))

        path = "/api/v1/retained/" + "/".join(urllib.parse.quote(level, safe="") for level in topic.split("/"))
        code, text = self.curl("http://127.0.0.1:%d%s" % (self.http_port, path))
        self.assertEqual(code, 200, text)
        self.assertEqual(json.loads(text)["payload"], "21.5")

        code, text = self.curl("-X", "DELETE", "http://127.0.0.1:%d%s" % (self.http_port, path))
        self.assertEqual((code, text), (204, ""))
        self.assert_error(self.get(path), 404, "retained_not_found")
        self.assert_error(self.request("DELETE", path), 404, "retained_not_found")
        # Deleted for MQTT subscribers too: a sentinel arrives, the old message does not.
        s = self.sub(self.topic() + "/#")
        mosquitto_pub(self.port, self.topic("sentinel"), "end")
        (m,) = s.messages(1)
        self.assertEqual(m.payload, "end")

    def test_binary_retained_payload_is_base64(self):
        topic = self.topic()
        status, _, _ = self.request("POST", "/api/v1/publish", {
            "topic": topic, "payload": base64.b64encode(b"\x00\xff\x10").decode(),
            "encoding": "base64", "retain": True})
        self.assertIn(status, (200, 202))
        status, _, body = self.get("/api/v1/retained/" + topic)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["encoding"], "base64")
        self.assertEqual(base64.b64decode(body["payload"]), b"\x00\xff\x10")

    def test_topic_path_rules(self):
        self.assert_error(self.get("/api/v1/retained/a%2Fb"), 400, "invalid_topic")
        self.assert_error(self.get("/api/v1/retained/a/%23"), 400, "invalid_topic")
        self.assert_error(self.get("/api/v1/retained/a/+"), 400, "invalid_topic")
        self.assert_error(self.get("/api/v1/retained?filter=a/%23/b"), 400, "invalid_filter")

    def retained_pages(self, flt, limit, after=None, max_calls=100):
        """Follows meta.next from `after`: every page's body, in order."""
        pages = []
        for _ in range(max_calls):
            query = "limit=%d&filter=%s" % (limit, urllib.parse.quote(flt, safe=""))
            if after is not None:
                query += "&after=" + urllib.parse.quote(after, safe="")
            status, _, body = self.get("/api/v1/retained?" + query)
            self.assertEqual(status, 200, body)
            pages.append(body)
            after = body["meta"]["next"]
            if after is None:
                return pages
        self.fail("meta.next never became null")

    def test_paging(self):
        for i in range(5):
            self.request("POST", "/api/v1/publish", {"topic": self.topic(str(i)), "payload": str(i), "retain": True})
        first, second, last = self.retained_pages(self.topic() + "/#", 2)
        self.assertEqual(first["meta"], {"limit": 2, "count": 2, "next": self.topic("1")})
        self.assertEqual([m["payload"] for m in second["data"]], ["2", "3"])
        self.assertEqual(last["meta"], {"limit": 2, "count": 1, "next": None})
        self.assertEqual([m["payload"] for m in last["data"]], ["4"])
        # Page numbers would count under the broker's lock: only the first page is had that way.
        status, _, body = self.get("/api/v1/retained?page=1&limit=2&filter=" + urllib.parse.quote(self.topic() + "/#"))
        self.assertEqual((status, body["meta"]["count"]), (200, 2))
        self.assert_error(self.get("/api/v1/retained?page=2"), 400, "invalid_page")
        self.assert_error(self.get("/api/v1/retained?after=a/%23"), 400, "invalid_after")

    def test_paging_through_2500_retained_messages_with_a_cursor(self):
        topics = [self.topic("item/%d" % i) for i in range(2500)]
        for start in range(0, len(topics), 1000):
            chunk = topics[start:start + 1000]
            status, _, body = self.request("POST", "/api/v1/publish/bulk",
                                           [{"topic": t, "payload": t[-4:], "retain": True} for t in chunk])
            self.assertEqual(status, 200, body)
            self.addCleanup(self.request, "POST", "/api/v1/publish/bulk",
                            [{"topic": t, "payload": "", "retain": True} for t in chunk])
        # A retained message outside the filter but sharing its prefix text is not listed.
        self.request("POST", "/api/v1/publish", {"topic": self.topic("itemx"), "payload": "x", "retain": True})
        self.addCleanup(self.request, "POST", "/api/v1/publish",
                        {"topic": self.topic("itemx"), "payload": "", "retain": True})
        pages = self.retained_pages(self.topic("item") + "/#", 300)
        seen = [m["topic"] for page in pages for m in page["data"]]
        self.assertEqual(len(pages), 9)
        self.assertEqual(seen, sorted(topics, key=lambda t: t.encode()))
        for page in pages:
            self.assertEqual(page["meta"]["count"], len(page["data"]))
        # Resuming from the middle gives the rest.
        rest = self.retained_pages(self.topic("item") + "/#", 1000, after=seen[1999])
        self.assertEqual([m["topic"] for page in rest for m in page["data"]], seen[2000:])


class ClientsTest(RestTestCase):
    def client(self, client_id):
        status, _, body = self.get("/api/v1/clients/" + urllib.parse.quote(client_id, safe=""))
        return body if status == 200 else None

    def test_sigkilled_client_turns_disconnected_and_its_will_shows_in_events(self):
        cid = self.client_id()
        will_topic = self.topic("will")
        watcher = self.sub(will_topic, qos=1)
        victim = MosquittoSub(self.port, self.topic("x"), qos=1, client_id=cid, extra=(
            "-c", "--will-topic", will_topic, "--will-payload", "gone", "--will-qos", "1"))
        self.addCleanup(victim.stop)
        victim.wait_subscribed()
        info = self.client(cid)
        self.assertTrue(info["connected"], info)
        self.assertEqual(info["will_topic"], will_topic)
        self.assertEqual(info["ip_address"], "127.0.0.1")
        self.assertEqual(info["protocol"], "mqtt")
        self.assertFalse(info["clean_session"])
        self.assertEqual(info["subscriptions_cnt"], 1)
        self.assertIsNone(info["disconnected_at"])
        before = self.events()[-1]["seq"] if self.events() else 0

        victim.kill()
        (will,) = watcher.messages(1)
        self.assertEqual(will.payload, "gone")
        info = eventually(lambda: (lambda c: c if c and not c["connected"] else None)(self.client(cid)),
                          "connected: false")
        self.assertEqual(info["disconnect_reason"], "network_error")
        self.assertTrue(info["disconnected_at"].endswith("Z"))
        self.assertGreater(info["disconnected_at_ms"], 0)

        def will_event():
            return next((e for e in self.events(before) if e["event"] == "will.published"
                         and e["clientid"] == cid), None)
        event = eventually(will_event, "will.published event")
        self.assertEqual((event["topic"], event["payload"], event["encoding"], event["qos"]),
                         (will_topic, "gone", "plain", 1))
        self.assertGreater(event["seq"], before)
        self.assertIsInstance(event["ts"], int)
        kinds = [e["event"] for e in self.events(before) if e["clientid"] == cid]
        self.assertIn("client.disconnected", kinds)

    def test_a_departed_client_keeps_its_counters(self):
        # A clean-session QoS 1 subscriber that never acknowledges: 20 in
        # flight, 1000 queued, the rest dropped. After it goes, REST still
        # shows what it dropped and was sent, not zeros.
        cid = self.client_id()
        topic = self.topic()
        slow = self.raw_connected(cid)
        self.assertEqual(slow.subscribe(1, [(topic, 1)]), [1])
        publisher = self.raw_connected(self.client_id("pub"))
        publisher.send(b"".join(packets.publish(topic, b"m", qos=1, pid=n) for n in range(1, 1101))
                       + packets.pingreq())
        acks = [publisher.recv_packet().type for _ in range(1101)]
        self.assertEqual(acks, [packets.PUBACK] * 1100 + [packets.PINGRESP])
        live = eventually(lambda: (lambda c: c if c and c["mqueue_dropped"] == 80 else None)(self.client(cid)),
                          "80 dropped")
        self.assertEqual(live["messages_out"], 20)
        slow.send(packets.disconnect())
        self.assertClosed(slow)
        gone = eventually(lambda: (lambda c: c if c and not c["connected"] else None)(self.client(cid)),
                          "connected: false")
        self.assertEqual((gone["mqueue_dropped"], gone["messages_out"]), (80, 20))
        status, _, listed = self.get("/api/v1/clients?clientid=" + urllib.parse.quote(cid, safe=""))
        self.assertEqual(status, 200)
        (item,) = [c for c in listed["data"] if c["clientid"] == cid]
        self.assertEqual(item["mqueue_dropped"], 80)

    def test_kick_disconnects_and_publishes_the_will(self):
        cid = self.client_id()
        will_topic = self.topic("will")
        watcher = self.sub(will_topic)
        victim = self.paho(cid, clean_session=False, will=(will_topic, "kicked out", 0, False))
        status, _, _ = self.request("DELETE", "/api/v1/clients/" + cid)
        self.assertEqual(status, 204)
        self.assertTrue(victim.disconnected.wait(TIMEOUT), "paho client was not disconnected")
        (will,) = watcher.messages(1)
        self.assertEqual(will.payload, "kicked out")
        info = eventually(lambda: (lambda c: c if c and not c["connected"] else None)(self.client(cid)),
                          "connected: false")
        self.assertEqual(info["disconnect_reason"], "kicked")
        kinds = eventually(lambda: (lambda k: k if "client.disconnected" in k else None)(
            [e["event"] for e in self.events() if e["clientid"] == cid]), "kick events")
        self.assertIn("client.kicked", kinds)
        self.assertIn("will.published", kinds)
        # Stop paho's automatic reconnect attempts from racing the next check.
        victim.client.loop_stop()
        self.assert_error(self.request("DELETE", "/api/v1/clients/" + cid), 404, "client_not_connected")
        self.assert_error(self.request("DELETE", "/api/v1/clients/nobody-here"), 404, "client_not_found")
        self.assert_error(self.get("/api/v1/clients/nobody-here"), 404, "client_not_found")

    def test_paging_and_filters(self):
        prefix = self.client_id()
        for i in range(5):
            self.paho("%s-%d" % (prefix, i), username="alice" if i % 2 == 0 else "bob")
        status, _, body = self.get("/api/v1/clients?limit=2&clientid=" + prefix)
        self.assertEqual(status, 200)
        self.assertEqual(body["meta"], {"page": 1, "limit": 2, "count": 5})
        self.assertEqual([c["clientid"] for c in body["data"]], [prefix + "-0", prefix + "-1"])
        _, _, body = self.get("/api/v1/clients?limit=2&page=3&clientid=" + prefix)
        self.assertEqual([c["clientid"] for c in body["data"]], [prefix + "-4"])
        _, _, body = self.get("/api/v1/clients?username=bob&connected=true&clientid=" + prefix)
        self.assertEqual([c["clientid"] for c in body["data"]], [prefix + "-1", prefix + "-3"])
        _, _, body = self.get("/api/v1/clients?connected=false&clientid=" + prefix)
        self.assertEqual(body["meta"]["count"], 0)
        self.assert_error(self.get("/api/v1/clients?connected=maybe"), 400, "invalid_connected")
        self.assert_error(self.get("/api/v1/clients?page=0"), 400, "invalid_page")
        self.assert_error(self.get("/api/v1/clients?limit=100000"), 400, "invalid_limit")

    def test_subscriptions(self):
        cid = self.client_id()
        c = self.paho(cid)
        c.subscribe(self.topic("a/#"), qos=1)
        c.subscribe(self.topic("b/+"), qos=2)
        other = self.paho(cid + "-other")
        other.subscribe(self.topic("a/#"), qos=0)

        status, _, body = self.get("/api/v1/clients/%s/subscriptions" % cid)
        self.assertEqual(status, 200)
        self.assertEqual([(s["topic"], s["qos"]) for s in body["data"]],
                         [(self.topic("a/#"), 1), (self.topic("b/+"), 2)])
        flt = urllib.parse.quote(self.topic("a/#"), safe="")
        _, _, body = self.get("/api/v1/subscriptions?topic=" + flt)
        self.assertEqual(sorted(s["clientid"] for s in body["data"]), [cid, cid + "-other"])
        _, _, body = self.get("/api/v1/subscriptions?topic=%s&clientid=%s" % (flt, cid))
        self.assertEqual(body["meta"]["count"], 1)
        self.assert_error(self.get("/api/v1/clients/nobody-here/subscriptions"), 404, "client_not_found")
        kinds = eventually(lambda: [e for e in self.events() if e["clientid"] == cid
                                    and e["event"] == "session.subscribed"], "subscribed events")
        self.assertEqual(sorted((e["topic"], e["qos"]) for e in kinds),
                         [(self.topic("a/#"), 1), (self.topic("b/+"), 2)])


def read_response(sock_file):
    """One HTTP/1.1 response from a buffered socket file: (status, headers, body)."""
    status_line = sock_file.readline().decode()
    if not status_line:
        return None
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = sock_file.readline().decode().rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return status, headers, body


class ErrorsAndProtocolTest(RestTestCase):
    def test_bad_requests_name_the_field(self):
        post = lambda body, **kw: self.request("POST", "/api/v1/publish", body, **kw)
        self.assert_error(self.request("POST", "/api/v1/publish", raw_body=b"{nope",
                                       headers={"Content-Type": "application/json"}), 400, "invalid_json")
        self.assert_error(post({"topic": "a/+/b", "payload": "x"}), 400, "invalid_topic")
        self.assert_error(post({"topic": "a/#", "payload": "x"}), 400, "invalid_topic")
        self.assert_error(post({"payload": "x"}), 400, "invalid_topic")
        self.assert_error(post({"topic": "a", "qos": 3}), 400, "invalid_qos")
        self.assert_error(post({"topic": "a", "qos": "1"}), 400, "invalid_qos")
        self.assert_error(post({"topic": "a", "payload": "x", "encoding": "hex"}), 400, "invalid_encoding")
        self.assert_error(post({"topic": "a", "payload": "!!", "encoding": "base64"}), 400, "invalid_payload")
        self.assert_error(post({"topic": "a", "retain": "yes"}), 400, "invalid_retain")
        _, _, body = post({"topic": "a", "qos": 7})
        self.assertIn("qos", body["error"]["message"])

    def test_415_404_405(self):
        self.assert_error(self.request("POST", "/api/v1/publish", raw_body=b'{"topic":"a"}',
                                       headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
        self.assert_error(self.get("/api/v1/nothing"), 404, "not_found")
        response = self.request("GET", "/api/v1/publish")
        self.assert_error(response, 405, "method_not_allowed")
        self.assertEqual(response[1]["allow"], "POST, OPTIONS")
        response = self.request("PUT", "/api/v1/clients/x")
        self.assertEqual(response[1]["allow"], "GET, HEAD, DELETE, OPTIONS")

    def test_oversize_body_is_413(self):
        big = json.dumps({"topic": "a", "payload": "x" * (2 << 20)}).encode()
        self.assert_error(self.request("POST", "/api/v1/publish", raw_body=big,
                                       headers={"Content-Type": "application/json"}), 413, "body_too_large")
        # Chunked, so the limit is hit while reading rather than from Content-Length.
        done = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                               "-H", "Content-Type: application/json", "-H", "Transfer-Encoding: chunked",
                               "--data-binary", "@-", "http://127.0.0.1:%d/api/v1/publish" % self.http_port],
                              input=big, capture_output=True, timeout=TIMEOUT)
        text, _, status = done.stdout.decode().rpartition("\n")
        self.assertEqual(status, "413", done.stderr)
        self.assertEqual(json.loads(text)["error"]["code"], "body_too_large")

    def test_oversize_header_is_431(self):
        self.assert_error(self.request("GET", "/healthz", headers={"X-Big": "y" * 10000}), 431, "header_too_large")
        # The server is fine afterwards.
        self.assertEqual(self.get("/healthz")[0], 200)

    def test_pipelined_requests_are_answered_in_order(self):
        port = self.http_port
        publish = b'{"topic":"pipe/nobody"}'
        requests = [
            b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
            b"GET /api/v1/retained/nothing/here HTTP/1.1\r\nHost: t\r\n\r\n",
            b"POST /api/v1/publish HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(publish), publish),
            b"GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n",
            b"DELETE /api/v1/stats HTTP/1.1\r\nHost: t\r\n\r\n",
            b"GET /api/v1/stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ]
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
            s.sendall(b"".join(requests))
            f = s.makefile("rb")
            statuses = []
            for _ in requests:
                response = read_response(f)
                self.assertIsNotNone(response, "connection closed after %r" % statuses)
                statuses.append(response[0])
            self.assertEqual(statuses, [200, 404, 202, 200, 405, 200])
            self.assertEqual(f.read(), b"", "the connection closes after Connection: close")

    def test_keep_alive_serves_several_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        self.addCleanup(conn.close)
        for _ in range(3):
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            resp.read()

    def test_metrics_are_prometheus_text(self):
        status, headers, text = self.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                            r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$')
        typed, helped, samples = {}, set(), {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.assertIn(kind, ("counter", "gauge", "histogram", "summary", "untyped"))
                typed[name] = kind
            elif line.startswith("# HELP "):
                helped.add(line.split(" ", 3)[2])
            else:
                m = sample.match(line)
                self.assertIsNotNone(m, "not a Prometheus sample line: %r" % line)
                self.assertIn(m.group(1), typed, "sample before its # TYPE: %r" % line)
                samples.setdefault(m.group(1), []).append(line)
        for name in ("mqgate_connections", "mqgate_sessions", "mqgate_subscriptions",
                     "mqgate_retained_messages", "mqgate_messages_received_total",
                     "mqgate_messages_sent_total", "mqgate_messages_dropped_total",
                     "mqgate_bytes_received_total", "mqgate_bytes_sent_total", "mqgate_uptime_seconds",
                     "mqgate_http_requests_total", "mqgate_events_total"):
            self.assertIn(name, samples, name)
            self.assertIn(name, helped, name)
        self.assertTrue(any('code="200"' in line for line in samples["mqgate_http_requests_total"]))
        self.assertTrue(all(typed[n] == "counter" for n in typed if n.endswith("_total")))

    def test_stats_health_ready(self):
        status, _, stats = self.get("/api/v1/stats")
        self.assertEqual(status, 200)
        for key in ("connections", "sessions", "subscriptions", "retained", "messages_received",
                    "messages_sent", "messages_dropped", "bytes_received", "bytes_sent", "uptime_seconds"):
            self.assertIsInstance(stats[key], int, key)
        self.assertEqual(stats["node"], "mqgate")  # node_name's default
        self.assertEqual(self.get("/healthz")[0], 200)
        self.assertEqual(self.get("/readyz")[0], 200)

    def test_openapi_lists_the_routes_and_they_answer(self):
        status, _, doc = self.get("/api/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertTrue(doc["openapi"].startswith("3."))
        expected = {"/api/v1/publish", "/api/v1/publish/bulk", "/api/v1/requests", "/api/v1/commands",
                    "/api/v1/commands/{id}", "/api/v1/webhooks", "/api/v1/webhooks/{name}/failed", "/api/v1/bridges",
                    "/api/v1/clients",
                    "/api/v1/clients/{clientid}", "/api/v1/clients/{clientid}/subscriptions", "/api/v1/subscriptions", "/api/v1/retained",
                    "/api/v1/retained/{topic}", "/api/v1/events", "/api/v1/stats", "/metrics", "/healthz",
                    "/readyz", "/api/v1/openapi.json"}
        # The upgrade and event-stream endpoints are documented too; they are
        # exercised by the Node tests (tests/node), since a plain request to
        # them either upgrades or never ends.
        streams = {"/mqtt", "/api/v1/stream", "/api/v1/stream/sse"}
        self.assertEqual(set(doc["paths"]), expected | streams)
        for path, item in doc["paths"].items():
            if path in streams:
                continue
            target = path.replace("{clientid}", "nobody").replace("{topic}", "a/b").replace("{id}", "none").replace("{name}", "none")
            for method in item:
                if method == "parameters":
                    continue
                status, _, body = self.request(method.upper(), target, {"topic": "t"} if method == "post" else None)
                self.assertNotIn(status, (405, 415), (method, target, body))
                if status == 404:
                    self.assertNotEqual(body["error"]["code"], "not_found", (method, target))


class TimeoutsAndCorsTest(RestTestCase):
    config = {"http": {"header_timeout": 1, "cors_origins": ["http://dash.test"]}}

    def test_slow_header_is_closed_while_others_are_served(self):
        with socket.create_connection(("127.0.0.1", self.http_port), timeout=TIMEOUT) as slow:
            started = time.monotonic()
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Wait: ")
            for _ in range(3):
                self.assertEqual(self.get("/api/v1/stats")[0], 200)
            self.assertEqual(slow.recv(4096), b"", "slow client should be closed without an answer")
            elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5.0)

    def test_cors(self):
        status, headers, _ = self.request("GET", "/api/v1/stats", headers={"Origin": "http://dash.test"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), "http://dash.test")
        self.assertEqual(headers.get("vary"), "Origin")
        _, headers, _ = self.request("GET", "/api/v1/stats", headers={"Origin": "http://evil.test"})
        self.assertNotIn("access-control-allow-origin", headers)
        status, headers, _ = self.request("OPTIONS", "/api/v1/publish", headers={
            "Origin": "http://dash.test", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("access-control-allow-origin"), "http://dash.test")
        self.assertIn("POST", headers.get("access-control-allow-methods", ""))
        self.assertIn("content-type", headers.get("access-control-allow-headers", "").lower())


if __name__ == "__main__":
    unittest.main()
