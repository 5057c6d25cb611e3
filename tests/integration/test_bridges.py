"""Bridges (issue 16): two mqgate nodes A and B bridged to Debian's mosquitto
as the upstream cluster, started by the test on a free loopback port."""

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import shutil
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import websocket

import harness
import packets
from certificates import Certificates
from harness import Gateway
from pahoclient import PahoClient
from upstream import Mosquitto, free_port

WAIT = 15.0


def bridge(addresses, topics=None, **extra):
    entry = {"name": "up", "addresses": addresses,
             "topics": topics or [{"filter": "#", "direction": "both", "qos": 1}],
             "reconnect": {"min_ms": 100, "max_ms": 1000}}
    entry.update(extra)
    return entry


def get(gw, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (gw.ports["http"], path), timeout=5) as r:
        return r.status, json.load(r)


def bridge_state(gw):
    return get(gw, "/api/v1/bridges")[1]["data"][0]


def wait_state(gw, predicate, what, timeout=WAIT):
    """The bridge's state has no event to wait on: polled with a deadline."""
    last = []

    def check():  # an empty list (a SIGHUP not applied yet) is not the state asked for
        last[:] = get(gw, "/api/v1/bridges")[1]["data"][:1] or [None]
        return last[0] is not None and predicate(last[0])

    if not harness.poll(check, timeout):
        raise AssertionError("bridge not %s within %.0f s: %r\n%s" % (what, timeout, last, gw.log_tail(40)))
    return last[0]


class SseReader:
    """GET /api/v1/stream/sse on a gateway: its `message` events, each wait bounded."""

    def __init__(self, gw, flt):
        self.conn = http.client.HTTPConnection("127.0.0.1", gw.ports["http"], timeout=WAIT)
        self.conn.request("GET", "/api/v1/stream/sse?filter=" + urllib.request.quote(flt, safe=""))
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.status

    def next_message(self):
        data = None
        while True:  # ends at the socket timeout (WAIT) or a message
            line = self.response.fp.readline().decode()
            if not line:
                raise AssertionError("SSE stream ended")
            if line.startswith("data: "):
                data = line[6:]
            elif line.strip() == "" and data is not None:
                body = json.loads(data)
                data = None
                if body.get("type") == "message":
                    return body

    def close(self):
        self.conn.close()


class BridgeTest(unittest.TestCase):
    def setUp(self):
        self.closers = []

    def tearDown(self):
        # Every closer runs; the first failure (a gateway not stopping cleanly) is raised after.
        failures = []
        for close in reversed(self.closers):
            try:
                close()
            except AssertionError as e:
                failures.append(e)
        if failures:
            raise failures[0]

    def upstream(self, **kwargs):
        up = Mosquitto(**kwargs)
        self.closers.append(up.close)
        up.start()
        return up

    def node(self, name, bridges):
        gw = Gateway({"node_name": name, "bridges": bridges})
        gw.start()
        # SIGTERM with the bridge up or backing off: exit 0, no sanitizer report.
        self.closers.append(lambda: gw.stop() if gw.alive() else gw.kill())
        return gw

    def paho(self, gw, client_id, subscribe=None, qos=1, clean_session=True):
        client = PahoClient(client_id, clean_session)
        self.closers.append(client.stop)
        client.connect(gw.mqtt_port)
        if subscribe:
            client.subscribe(subscribe, qos)
        return client

    def two_nodes(self, up, topics=None):
        a = self.node("a", [bridge([up.address], topics)])
        b = self.node("b", [bridge([up.address], topics)])
        for gw in (a, b):
            wait_state(gw, lambda s: s["state"] == "connected", "connected")
        return a, b

    def test_mqtt_publish_on_a_reaches_mqtt_subscriber_on_b(self):
        up = self.upstream()
        a, b = self.two_nodes(up)
        sub = self.paho(b, "sub-b", "t/#")
        pub = self.paho(a, "pub-a")
        for qos in (0, 1, 2):
            pub.publish("t/q%d" % qos, "hello %d" % qos, qos=qos)
            msg = sub.get(WAIT)
            self.assertEqual((msg.topic, msg.payload, msg.qos), ("t/q%d" % qos, b"hello %d" % qos, min(qos, 1)))
        # Counted at the upstream's PUBACK / PUBCOMP, which may come after B's subscriber has the message.
        wait_state(a, lambda s: s["forwarded_out"] == 3, "3 forwarded out")
        state = bridge_state(a)
        self.assertEqual(state["address"], up.address)
        self.assertEqual(state["client_id"], "a-up")
        wait_state(b, lambda s: s["forwarded_in"] == 3, "3 forwarded in")

    def test_rest_publish_on_a_reaches_sse_and_json_stream_subscribers_on_b(self):
        up = self.upstream()
        a, b = self.two_nodes(up)
        sse = SseReader(b, "rest/#")
        self.closers.append(sse.close)
        stream = websocket.create_connection("ws://127.0.0.1:%d/api/v1/stream" % b.ports["http"], timeout=WAIT)
        self.closers.append(stream.close)
        stream.send(json.dumps({"op": "subscribe", "id": 1, "filter": "rest/#", "qos": 1}))
        self.assertEqual(json.loads(stream.recv())["type"], "ack")
        body = json.dumps({"topic": "rest/x", "payload": "from rest", "qos": 1}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/api/v1/publish" % a.ports["http"], data=body,
                                     headers={"Content-Type": "application/json"})
        # The SSE subscriber counts as a match on B only: on A the bridge's subscription does not.
        with urllib.request.urlopen(req, timeout=5) as r:
            self.assertIn(r.status, (200, 202))
        msg = sse.next_message()
        self.assertEqual((msg["topic"], msg["payload"]), ("rest/x", "from rest"))
        msg = json.loads(stream.recv())
        self.assertEqual((msg["type"], msg["topic"], msg["payload"]), ("message", "rest/x", "from rest"))

    def test_retained_on_a_is_seen_by_a_new_subscriber_on_b(self):
        up = self.upstream()
        a, b = self.two_nodes(up)
        pub = self.paho(a, "pub-a")
        pub.publish("ret/last", "42", qos=1, retain=True)

        def retained_on_b():
            try:
                return get(b, "/api/v1/retained/ret/last")[1]["payload"] == "42"
            except urllib.error.HTTPError:
                return False

        self.assertTrue(harness.poll(retained_on_b, WAIT), "B never stored the retained message")
        sub = self.paho(b, "late-sub", "ret/#")
        msg = sub.get(WAIT)
        self.assertEqual((msg.topic, msg.payload, msg.retain), ("ret/last", b"42", 1))

    def test_upstream_down_while_a_receives_qos1_then_back_b_gets_every_one_in_order(self):
        up = self.upstream()
        a, b = self.two_nodes(up)
        sub = self.paho(b, "sub-b", "num/#", qos=1)
        pub = self.paho(a, "pub-a")
        pub.publish("num/warmup", "w", qos=1)
        self.assertEqual(sub.get(WAIT).payload, b"w")
        up.stop()
        for gw in (a, b):
            wait_state(gw, lambda s: s["state"] != "connected", "down")
        count = 200
        for i in range(count):
            pub.publish("num/seq", str(i), qos=1)
        self.assertEqual(bridge_state(a)["queued"], count)
        up.start()
        # The warm-up message may come again: the upstream may have stopped before B's PUBACK of it
        # reached it, and resends it (QoS 1's duplicate window); the numbered ones must not.
        got = []
        deadline = time.monotonic() + 30
        while len(got) < count:
            msg = sub.get(max(0.1, deadline - time.monotonic()))
            if msg.payload != b"w":
                got.append(int(msg.payload))
        self.assertEqual(got, list(range(count)))
        pub.publish("num/sentinel", "end", qos=1)
        tail = sub.until("num/sentinel", timeout=WAIT)
        self.assertEqual([m.topic for m in tail], ["num/sentinel"], "duplicates after the numbered messages")
        wait_state(a, lambda s: s["queued"] == 0 and s["forwarded_out"] == count + 2, "drained")

    def test_queue_survives_kill_9_of_a_while_the_upstream_is_down(self):
        up = self.upstream()
        config_a = {"node_name": "a", "bridges": [bridge([up.address])]}
        a, b = self.two_nodes(up)
        sub = self.paho(b, "sub-b", "kill/#", qos=1)
        up.stop()
        wait_state(a, lambda s: s["state"] != "connected", "down")
        count = 200
        pub = self.paho(a, "pub-a")
        sent = [pub.publish("kill/seq", str(i), qos=1, wait=False) for i in range(count)]
        # Acknowledged means stored: the bridge's copy is written with the publish, so a kill -9 the
        # moment the last PUBACK arrives (PUBACKs come in order) loses none of them.
        for info in sent:
            info.wait_for_publish(WAIT)
            self.assertTrue(info.is_published(), "a PUBACK did not come")
        a.kill()  # SIGKILL
        pub.stop()
        again = Gateway(config_a, data_dir=a.data_dir)
        again.start()
        self.closers.append(lambda: again.stop() if again.alive() else again.kill())
        self.assertEqual(bridge_state(again)["queued"], count)
        up.start()
        got = [int(m.payload) for m in sub.collect(count, timeout=30)]
        self.assertEqual(got, list(range(count)))
        wait_state(again, lambda s: s["queued"] == 0, "drained")

    def test_the_local_acl_applies_to_the_bridge_as_local_username(self):
        """The bridge is a client of the local ACL: what comes in must be writable, what goes out
        readable, by its local_username; the rest stays where it is and is counted."""
        up = self.upstream()
        workdir = tempfile.mkdtemp(prefix="mqgate-acl-")
        self.closers.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
        acl = os.path.join(workdir, "acl")
        with open(acl, "w") as f:
            f.write("topic readwrite #\n"  # anonymous clients (this test's own) may do anything
                    "user edge\n"
                    "topic write in/open/#\n"
                    "topic read out/open/#\n")
        a = Gateway({"node_name": "a", "auth": {"acl_file": acl},
                     "bridges": [bridge([up.address], local_username="edge")]})
        a.start()
        self.closers.append(lambda: a.stop() if a.alive() else a.kill())
        wait_state(a, lambda s: s["state"] == "connected", "connected")
        self.assertEqual(bridge_state(a)["local_username"], "edge")

        local = self.paho(a, "local-a", "in/#", qos=1)
        remote = PahoClient("remote")
        self.closers.append(remote.stop)
        remote.connect(up.port)
        remote.subscribe("out/#", 1)
        # In: the refused topic first, so it would arrive first if it crossed (a bridge keeps order).
        remote.publish("in/closed/1", "no", qos=1)
        remote.publish("in/open/1", "yes", qos=1)
        self.assertEqual([(m.topic, m.payload) for m in local.collect(1, timeout=WAIT)], [("in/open/1", b"yes")])
        # Out: the same, the other way.
        local.publish("out/closed/1", "no", qos=1)
        local.publish("out/open/1", "yes", qos=1)
        self.assertEqual([(m.topic, m.payload) for m in remote.collect(1, timeout=WAIT)], [("out/open/1", b"yes")])
        state = wait_state(a, lambda s: s["denied"] == 2, "denied twice")
        self.assertEqual(state["forwarded_in"], 1)
        self.assertIn("the ACL keeps 'in/closed/1' from crossing in", a.log_tail(200))

    def test_an_upstream_message_is_acknowledged_once_stored(self):
        """The bridge's PUBACK to the upstream is a promise: a kill -9 of the node right after the
        last one loses nothing its persistent subscriber was owed. The upstream is played by the
        test (a socket speaking the bytes), so it sees the exact moment of each PUBACK."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(WAIT)
        self.closers.append(server.close)
        topics = [{"filter": "in/#", "direction": "in", "qos": 1}]
        config = {"node_name": "a",
                  "bridges": [bridge(["127.0.0.1:%d" % server.getsockname()[1]], topics, try_private=False)]}
        a = Gateway(config)
        a.start()
        self.closers.append(lambda: a.stop() if a.alive() else a.kill())
        sub = PahoClient("sub-a", clean_session=False)  # offline below: what comes in is queued, so stored
        sub.connect(a.mqtt_port)
        sub.subscribe("in/#", 1)
        sub.disconnect()

        conn, _ = server.accept()
        conn.settimeout(WAIT)
        self.closers.append(conn.close)
        buffer = b""

        def next_packet():
            nonlocal buffer
            while True:  # ends at a packet or the socket timeout (WAIT)
                packet, buffer = packets.split_packet(buffer)
                if packet:
                    return packet
                chunk = conn.recv(65536)
                if not chunk:
                    raise AssertionError("the bridge closed its connection")
                buffer += chunk

        self.assertEqual(next_packet().type, 1)  # CONNECT
        conn.sendall(bytes([0x20, 2, 0, 0]))  # CONNACK accepted
        subscribe = next_packet()
        self.assertEqual(subscribe.type, 8)
        conn.sendall(bytes([0x90, 3]) + subscribe.body[:2] + bytes([1]))  # SUBACK QoS 1
        count = 200
        conn.sendall(b"".join(packets.publish("in/%d" % i, b"x" * 1000, qos=1, pid=i + 1) for i in range(count)))
        acked = set()
        while len(acked) < count:
            packet = next_packet()
            if packet.type == 4:  # PUBACK
                acked.add(struct.unpack("!H", packet.body[:2])[0])
        a.kill()  # SIGKILL the moment the last PUBACK is read

        again = Gateway(config, data_dir=a.data_dir)
        again.start()
        self.closers.append(lambda: again.stop() if again.alive() else again.kill())
        sub = PahoClient("sub-a", clean_session=False)
        self.closers.append(sub.stop)
        sub.connect(again.mqtt_port)
        got = {m.topic for m in sub.collect(count, timeout=30)}
        self.assertEqual(got, {"in/%d" % i for i in range(count)})

    def test_device_request_on_a_is_answered_by_a_device_on_b(self):
        """POST /api/v1/requests on A: the request crosses the upstream to a device connected to B,
        and the device's reply comes back the same way to the waiting HTTP answer."""
        up = self.upstream()
        a, b = self.two_nodes(up)
        device = PahoClient("pump-b")
        self.closers.append(device.stop)
        device.connect(b.mqtt_port)
        device.subscribe("devices/pump/req/+", 1)
        # A subscribes the request's response topic only when the request starts: wait for B's
        # subscription to be known upstream by a message crossing first.
        probe = self.paho(a, "probe-a", "devices/pump/ping", qos=1)
        self.paho(b, "probe-b").publish("devices/pump/ping", "up", qos=1)
        probe.get(WAIT)

        answer = {}

        def ask():
            body = json.dumps({"topic": "devices/pump/req/{request_id}", "payload": "status?",
                               "response_topic": "devices/pump/res/{request_id}", "timeout_ms": 10000}).encode()
            request = urllib.request.Request("http://127.0.0.1:%d/api/v1/requests" % a.ports["http"], data=body,
                                             method="POST", headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=WAIT) as r:
                    answer["status"], answer["body"] = r.status, json.load(r)
            except urllib.error.HTTPError as e:
                answer["status"], answer["body"] = e.code, json.load(e)

        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        request = device.get(WAIT)
        self.assertFalse(answer, "answered before the device had the request")
        self.assertEqual(request.payload, b"status?")
        request_id = request.topic.rsplit("/", 1)[1]
        device.publish("devices/pump/res/" + request_id, "running", qos=1)
        asker.join(WAIT)
        self.assertEqual(answer.get("status"), 200, answer)
        self.assertEqual(answer["body"]["request_id"], request_id)
        self.assertEqual(answer["body"]["response"]["payload"], "running")

    def test_connection_events_of_the_fleet(self):
        # README "Bridges": this node's $SYS connection events go up under fleet/, every node's come back in.
        up = self.upstream()
        topics = [{"filter": "+/clients/#", "direction": "out", "qos": 0,
                   "local_prefix": "$SYS/brokers/", "remote_prefix": "fleet/"},
                  {"filter": "fleet/+/clients/#", "direction": "in", "qos": 0}]
        a, b = self.two_nodes(up, topics)
        watcher = self.paho(b, "watcher", "fleet/+/clients/#", qos=0)
        self.paho(a, "device-1")
        for _ in range(20):  # the watcher's own connection on B may come first
            msg = watcher.get(WAIT)
            if msg.topic == "fleet/a/clients/device-1/connected":
                break
        else:
            self.fail("no fleet/a/clients/device-1/connected on B")
        event = json.loads(msg.payload)
        self.assertEqual(event["clientid"], "device-1")

    def test_no_loop_with_both_on_hash(self):
        up = self.upstream()
        a, b = self.two_nodes(up)
        on_a = self.paho(a, "sub-a", "loop/#")
        on_b = self.paho(b, "sub-b", "loop/#")
        watcher = PahoClient("watcher", True)
        self.closers.append(watcher.stop)
        watcher.connect(up.port)
        watcher.subscribe("loop/#", 1)
        # Each node publishes a message then a sentinel (one publisher: one order on every path).
        for gw, name in ((a, "a"), (b, "b")):
            pub = self.paho(gw, "pub-" + name)
            pub.publish("loop/" + name, "once", qos=1)
            pub.publish("loop/end-" + name, "sentinel", qos=1)
            for client in (on_a, on_b, watcher):
                seen = [(m.topic, m.payload) for m in client.until("loop/end-" + name, timeout=WAIT)]
                self.assertEqual(seen, [("loop/" + name, b"once"), ("loop/end-" + name, b"sentinel")])
        # Nothing kept circling: a last sentinel arrives after no further copy.
        self.paho(a, "pub-last").publish("loop/last", "sentinel", qos=1)
        for client in (on_a, on_b, watcher):
            self.assertEqual([m.topic for m in client.until("loop/last", timeout=WAIT)], ["loop/last"])

    def test_plain_311_upstream_is_asked_again_without_the_bridge_level(self):
        # mqgate itself as the upstream: it answers the bridge level 0x84 with CONNACK 1.
        upstream = Gateway(None)
        upstream.start()
        self.closers.append(lambda: upstream.stop() if upstream.alive() else upstream.kill())
        a = self.node("a", [bridge(["127.0.0.1:%d" % upstream.mqtt_port],
                                   [{"filter": "up/#", "direction": "out", "qos": 1},
                                    {"filter": "down/#", "direction": "in", "qos": 1}])])
        state = wait_state(a, lambda s: s["state"] == "connected", "connected")
        self.assertEqual(state["connack_code"], 0)
        on_upstream = self.paho(upstream, "sub-up", "up/#")
        on_a = self.paho(a, "sub-a", "down/#")
        self.paho(a, "pub-a").publish("up/x", "to the cluster", qos=1)
        self.assertEqual(on_upstream.get(WAIT).payload, b"to the cluster")
        self.paho(upstream, "pub-up").publish("down/y", "from the cluster", qos=1)
        self.assertEqual(on_a.get(WAIT).payload, b"from the cluster")

    def test_plain_311_upstream_echo_reaches_local_subscribers_once(self):
        upstream = Gateway(None)
        upstream.start()
        self.closers.append(lambda: upstream.stop() if upstream.alive() else upstream.kill())
        a = self.node("a", [bridge(["127.0.0.1:%d" % upstream.mqtt_port])])  # both on #
        wait_state(a, lambda s: s["state"] == "connected", "connected")
        on_a = self.paho(a, "sub-a", "echo/#")
        self.paho(a, "pub-a").publish("echo/x", "mine", qos=1)
        # The upstream sends it back (3.1.1 has no no-local): recognised, not published again.
        wait_state(a, lambda s: s["echoes"] == 1, "echo seen")
        self.paho(upstream, "pub-up").publish("echo/end", "sentinel", qos=1)
        seen = [(m.topic, m.payload) for m in on_a.until("echo/end", timeout=WAIT)]
        self.assertEqual(seen, [("echo/x", b"mine"), ("echo/end", b"sentinel")])

    def test_fail_over_to_the_second_address(self):
        up = self.upstream()
        dead = "127.0.0.1:%d" % free_port()
        a = self.node("a", [bridge([dead, up.address])])
        state = wait_state(a, lambda s: s["state"] == "connected", "connected")
        self.assertEqual(state["address"], up.address)
        self.assertGreaterEqual(state["failures"], 1)
        self.assertIn(dead, state["last_error"])

    def test_sighup_applies_a_changed_bridges_list(self):
        up = self.upstream()
        dead = "127.0.0.1:%d" % free_port()
        a = self.node("a", [bridge([dead], name="first")])
        wait_state(a, lambda s: s["failures"] >= 1, "failing")
        with open(os.path.join(a.workdir, "mqgate.json"), "w") as f:
            json.dump({"node_name": "a", "bridges": [bridge([up.address], name="second")]}, f)
        a.proc.send_signal(signal.SIGHUP)
        state = wait_state(a, lambda s: s["name"] == "second" and s["state"] == "connected", "replaced")
        self.assertEqual(state["address"], up.address)
        self.assertEqual(len(get(a, "/api/v1/bridges")[1]["data"]), 1)

    def test_a_removed_bridge_discards_what_it_stored(self):
        """As a removed webhook: its stored messages are deleted, and a later bridge of the same
        name starts empty instead of sending what an operator took out of service."""
        up = self.upstream()
        dead = "127.0.0.1:%d" % free_port()
        a = self.node("a", [bridge([dead], name="old", topics=[{"filter": "q/#", "direction": "out", "qos": 1}])])
        pub = self.paho(a, "pub-a")
        for i in range(5):
            pub.publish("q/%d" % i, "stale", qos=1)  # acknowledged: stored with the publish
        wait_state(a, lambda s: s["stored"] == 5, "5 stored")
        config = os.path.join(a.workdir, "mqgate.json")
        with open(config, "w") as f:
            json.dump({"node_name": "a", "bridges": []}, f)
        a.proc.send_signal(signal.SIGHUP)
        self.assertTrue(harness.poll(lambda: "5 stored message(s) waiting to go upstream discarded" in a.log_text(),
                                     WAIT), a.log_tail(40))
        watcher = PahoClient("watcher", True)
        self.closers.append(watcher.stop)
        watcher.connect(up.port)
        watcher.subscribe("q/#", 1)
        with open(config, "w") as f:
            json.dump({"node_name": "a", "bridges": [
                bridge([up.address], name="old", topics=[{"filter": "q/#", "direction": "out", "qos": 1}])]}, f)
        a.proc.send_signal(signal.SIGHUP)
        wait_state(a, lambda s: s["state"] == "connected", "connected")
        pub.publish("q/end", "fresh", qos=1)
        self.assertEqual([(m.topic, m.payload) for m in watcher.until("q/end", timeout=WAIT)], [("q/end", b"fresh")])

    def test_wrong_credentials_are_shown_and_backed_off(self):
        up = self.upstream(users={"bridge": "right"})
        a = self.node("a", [bridge([up.address], username="bridge", password="wrong",
                                   reconnect={"min_ms": 1000, "max_ms": 4000})])
        state = wait_state(a, lambda s: s["refused"], "refused")
        self.assertEqual(state["state"], "backing_off")
        self.assertIn(state["connack_code"], (4, 5))
        self.assertIn("CONNACK", state["last_error"])
        self.assertGreater(state["retry_at_ms"], int(time.time() * 1000))
        # Backed off, not a tight loop: a few attempts at most in two seconds.
        first = state["failures"]
        later = wait_state(a, lambda s: s["failures"] > first, "retried", timeout=WAIT)
        self.assertLessEqual(later["failures"], first + 2)

    def test_right_credentials_connect(self):
        up = self.upstream(users={"bridge": "right"})
        a = self.node("a", [bridge([up.address], username="bridge", password="right")])
        state = wait_state(a, lambda s: s["state"] == "connected", "connected")
        self.assertEqual(state["connack_code"], 0)

    def tls_upstream(self):
        certs = Certificates()
        self.closers.append(certs.remove)
        cert, key = certs.server
        return certs, self.upstream(extra="certfile %s\nkeyfile %s\n" % (cert, key))

    def test_tls_upstream_signed_by_the_configured_ca(self):
        certs, up = self.tls_upstream()
        a = self.node("a", [bridge([up.address], tls={"ca": certs.ca})])
        b = self.node("b", [bridge([up.address], tls={"ca": certs.ca})])
        for gw in (a, b):
            wait_state(gw, lambda s: s["state"] == "connected", "connected over TLS")
        sub = self.paho(b, "sub-b", "tls/#")
        self.paho(a, "pub-a").publish("tls/x", "over tls", qos=1)
        self.assertEqual(sub.get(WAIT).payload, b"over tls")
        self.assertTrue(bridge_state(a)["tls"])

    def test_tls_upstream_of_another_ca_is_refused_and_retried(self):
        certs, up = self.tls_upstream()
        a = self.node("a", [bridge([up.address], tls={"ca": certs.other_ca})])
        state = wait_state(a, lambda s: s["failures"] >= 1, "failed")
        self.assertNotEqual(state["state"], "connected")
        self.assertIn("certificate verify failed", state["last_error"])

    def test_bad_bridge_config_stops_start_up_naming_the_key(self):
        gw = Gateway({"bridges": [bridge(["no-port"])]})
        self.closers.append(gw.kill)
        with self.assertRaises(AssertionError):
            gw.start()
        self.assertEqual(gw.proc.wait(10), 2)
        self.assertIn("bridges[0].addresses[0]", gw.log_text())

    def test_a_ca_file_without_a_certificate_stops_start_up_and_check_config(self):
        certs = Certificates()
        self.closers.append(certs.remove)
        bad = certs.path("not-a-ca.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        config = {"bridges": [bridge(["127.0.0.1:1"], tls={"ca": bad})]}
        gw = Gateway(config)
        self.closers.append(gw.kill)
        with self.assertRaises(AssertionError):
            gw.start()
        self.assertEqual(gw.proc.wait(10), 2)
        self.assertIn("bridges[0].tls.ca", gw.log_text())
        checked = subprocess.run([harness.gateway_binary(), "--check-config", "--config",
                                  os.path.join(gw.workdir, "mqgate.json")], capture_output=True, timeout=30)
        self.assertEqual(checked.returncode, 2)
        self.assertIn(b"bridges[0].tls.ca", checked.stderr)


if __name__ == "__main__":
    unittest.main()
