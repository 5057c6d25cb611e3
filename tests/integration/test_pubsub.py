"""Publish/subscribe end to end with mosquitto clients, paho and raw sockets."""

import os
import random
import tempfile
import unittest

import packets
from harness import GatewayTestCase
from mosquitto_cli import mosquitto_pub


class PubSubTest(GatewayTestCase):
    config = {"mqtt": {"sys_interval": 1}}

    def test_qos_is_min_of_publish_and_subscription_mosquitto_clients(self):
        for sub_qos in (0, 1, 2):
            with self.subTest(subscription_qos=sub_qos):
                topic = self.topic("sub%d" % sub_qos)
                sub = self.mosquitto_sub(topic, sub_qos, client_id=self.client_id("s%d" % sub_qos),
                                         count=3)
                self.assertEqual(sub.wait_subscribed(), sub_qos)
                for pub_qos in (0, 1, 2):
                    mosquitto_pub(self.port, topic, "q%d" % pub_qos, qos=pub_qos)
                received = sub.messages(3)
                self.assertEqual([(m.payload, m.qos, m.retain) for m in received],
                                 [("q%d" % q, min(q, sub_qos), 0) for q in (0, 1, 2)])

    def test_qos_is_min_of_publish_and_subscription_paho(self):
        publisher = self.paho(self.client_id("pub"))
        for sub_qos in (0, 1, 2):
            with self.subTest(subscription_qos=sub_qos):
                topic = self.topic("sub%d" % sub_qos)
                subscriber = self.paho(self.client_id("sub%d" % sub_qos))
                self.assertEqual(subscriber.subscribe(topic, sub_qos), [sub_qos])
                for pub_qos in (0, 1, 2):
                    publisher.publish(topic, "q%d" % pub_qos, pub_qos)
                received = subscriber.collect(3)
                self.assertEqual(sorted((m.payload, m.qos) for m in received),
                                 [(b"q%d" % q, min(q, sub_qos)) for q in (0, 1, 2)])

    def _delivered(self, topic_filter, topics):
        """Publishes to each of `topics`, then a matching sentinel; returns
        the topics that reached a subscriber of `topic_filter`."""
        root = self.topic()
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe([(root + "/" + topic_filter, 1), (root + "/sentinel", 1)])
        publisher = self.paho(self.client_id("pub"))
        for topic in topics:
            publisher.publish(root + "/" + topic, topic, 1)
        publisher.publish(root + "/sentinel", "end", 1)
        received = subscriber.until(root + "/sentinel")
        return sorted(m.topic[len(root) + 1:] for m in received[:-1])

    TOPICS = ["a", "a/b", "a/b/c", "a/c/c", "a/b/c/d", "b/b/c", "a//c", "A/b/c"]

    def test_single_level_wildcard_matches_exactly_one_level(self):
        self.assertEqual(self._delivered("a/+/c", self.TOPICS), ["a//c", "a/b/c", "a/c/c"])

    def test_multi_level_wildcard_matches_parent_and_all_children(self):
        self.assertEqual(self._delivered("a/#", self.TOPICS),
                         sorted(["a", "a/b", "a/b/c", "a/c/c", "a/b/c/d", "a//c"]))

    def test_combined_wildcards(self):
        self.assertEqual(self._delivered("+/b/#", self.TOPICS),
                         sorted(["a/b", "a/b/c", "a/b/c/d", "b/b/c", "A/b/c"]))

    def test_multi_level_wildcard_with_mosquitto_clients(self):
        root = self.topic()
        sub = self.mosquitto_sub(root + "/x/#", 1, client_id=self.client_id("sub"), count=3)
        sub.wait_subscribed()
        for topic in ("y", "x", "x/1", "xx/1", "x/1/2"):
            mosquitto_pub(self.port, root + "/" + topic, topic, qos=1)
        self.assertEqual(sorted(m.topic for m in sub.messages(3)),
                         [root + "/x", root + "/x/1", root + "/x/1/2"])

    def test_sys_topics_not_matched_by_leading_wildcards(self):
        # [MQTT-4.7.2-1]: '#' and '+/...' must not match $SYS/...; '$SYS/#' does.
        sentinel = self.topic("sentinel")
        hash_sub = self.paho(self.client_id("hash"))
        hash_sub.subscribe("#", 0)
        plus_sub = self.paho(self.client_id("plus"))
        plus_sub.subscribe([("+/broker/uptime", 0), ("+/broker/clients/connected", 0),
                            (sentinel, 0)])
        sys_sub = self.paho(self.client_id("sys"))
        sys_sub.subscribe("$SYS/#", 0)
        # Two uptime publications: the second was certainly published after
        # every subscription above existed (the first may be a retained copy).
        uptimes = 0
        for _ in range(1000):
            if sys_sub.get(5.0).topic == "$SYS/broker/uptime":
                uptimes += 1
                if uptimes == 2:
                    break
        self.assertEqual(uptimes, 2)
        # The sentinel is queued behind any $SYS message already sent to the others.
        sys_sub.publish(sentinel, "end", 0)
        for name, sub in (("#", hash_sub), ("+/...", plus_sub)):
            topics = [m.topic for m in sub.until(sentinel)]
            self.assertEqual([t for t in topics if t.startswith("$")], [],
                             "subscriber of %s received $SYS topics" % name)

    def test_client_publishes_to_sys_are_acknowledged_and_dropped(self):
        # Only the broker writes $SYS (as Mosquitto): a client's PUBLISH there,
        # retained or not, is acknowledged [MQTT-3.3.5-2] and reaches no one,
        # so a fake uptime or a spoofed connection event cannot be served.
        sentinel = self.topic("sentinel")
        watcher = self.paho(self.client_id("watch"))
        watcher.subscribe([("$SYS/broker/uptime", 0), ("$SYS/brokers/+/clients/+/connected", 0),
                           (sentinel, 0)])
        spoofer = self.paho(self.client_id("spoof"))
        spoofer.publish("$SYS/broker/uptime", "fake", 1, retain=True)
        spoofer.publish("$SYS/brokers/mqgate/clients/spoofed/connected", '{"clientid":"spoofed"}', 2)
        spoofer.publish(sentinel, "end", 1)
        got = [(m.topic, m.payload) for m in watcher.until(sentinel)]
        self.assertNotIn(("$SYS/broker/uptime", b"fake"), got)
        self.assertEqual([t for t, _ in got if "spoofed" in t], [])
        # And no later subscriber is served the fake as the retained value.
        later = self.paho(self.client_id("later"))
        later.subscribe("$SYS/broker/uptime", 0)
        self.assertNotEqual(later.get(5.0).payload, b"fake")

    def test_will_on_a_sys_topic_refuses_the_connection(self):
        # POLICY: such a will could never be published, so the CONNECT is refused.
        client = self.raw()
        client.send(packets.connect(self.client_id(), will=("$SYS/broker/uptime", b"gone", 0, True)))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x05")
        self.assertClosed(client)

    def test_sys_uptime_with_mosquitto_sub(self):
        sub = self.mosquitto_sub("$SYS/broker/uptime", 0, count=1, timeout=10)
        (msg,) = sub.messages(1, timeout=10)
        self.assertEqual(msg.topic, "$SYS/broker/uptime")
        self.assertRegex(msg.payload, r"^\d+")

    def test_overlapping_subscriptions_deliver_one_copy_at_highest_qos(self):
        root = self.topic()
        subscriber = self.paho(self.client_id("sub"))
        self.assertEqual(subscriber.subscribe([(root + "/#", 0), (root + "/+", 2),
                                               (root + "/a", 1)]), [0, 2, 1])
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(root + "/a", "once", 2)
        # QoS 2 too: paho hands QoS 2 messages over at PUBREL, a QoS 0 one at once.
        publisher.publish(root + "/sentinel", "end", 2)
        received = subscriber.until(root + "/sentinel")
        self.assertEqual([(m.topic, m.payload, m.qos) for m in received[:-1]],
                         [(root + "/a", b"once", 2)])

    def test_unsubscribe_acknowledged_and_stops_delivery(self):
        topic, sentinel = self.topic("t"), self.topic("sentinel")
        client = self.raw_connected()
        self.assertEqual(client.subscribe(1, [(topic, 0), (sentinel, 0)]), [0, 0])
        client.send(packets.unsubscribe(0x1234, [topic]))
        self.assertEqual(client.recv_packet().raw, b"\xb0\x02\x12\x34")
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "after unsubscribe", 1)
        publisher.publish(sentinel, "end", 1)
        pkt = client.expect(packets.PUBLISH)
        self.assertEqual((pkt.topic, pkt.payload), (sentinel.encode(), b"end"))

    def test_unsubscribe_with_paho(self):
        topic = self.topic()
        client = self.paho()
        client.subscribe(topic, 1)
        self.assertRoundTrip(client, topic, "before")
        client.unsubscribe(topic)
        sentinel = self.topic("sentinel")
        client.subscribe(sentinel, 1)
        client.publish(topic, "after", 1)
        client.publish(sentinel, "end", 1)
        self.assertEqual([m.topic for m in client.until(sentinel)], [sentinel])

    def test_order_of_200_qos1_messages_preserved(self):
        topic = self.topic()
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(topic, 1)
        publisher = self.paho(self.client_id("pub"))
        infos = [publisher.publish(topic, str(i), 1, wait=False) for i in range(200)]
        received = subscriber.collect(200, timeout=30.0)
        self.assertEqual([m.payload for m in received], [str(i).encode() for i in range(200)])
        self.assertTrue(all(m.qos == 1 for m in received))
        infos[-1].wait_for_publish(10.0)
        self.assertTrue(all(info.is_published() for info in infos))

    def test_forwarded_publish_has_retain_0_even_if_published_retained(self):
        topic = self.topic()
        live = self.paho(self.client_id("live"))
        live.subscribe(topic, 1)
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "retained", 1, retain=True)
        self.addCleanup(publisher.publish, topic, b"", 1, True)
        msg = live.get()
        self.assertEqual((msg.payload, msg.retain), (b"retained", False))
        late = self.paho(self.client_id("late"))
        late.subscribe(topic, 1)
        msg = late.get()
        self.assertEqual((msg.payload, msg.retain), (b"retained", True))

    def test_fan_out_to_50_subscribers(self):
        topic = self.topic()
        subscribers = [self.raw_connected(self.client_id("s%d" % i)) for i in range(50)]
        for sub in subscribers:
            self.assertEqual(sub.subscribe(1, [(topic, 1)]), [1])
        self.paho(self.client_id("pub")).publish(topic, "to all", 1)
        for i, sub in enumerate(subscribers):
            pkt = sub.expect(packets.PUBLISH)
            self.assertEqual((pkt.payload, pkt.qos), (b"to all", 1), "subscriber %d" % i)
            sub.send(packets.puback(pkt.pid))

    def test_stalled_subscriber_does_not_block_others(self):
        # A subscriber that never reads must not stall the publisher or other
        # clients: 20 MiB of QoS 0 is more than socket buffers and the
        # per-connection outbound limit hold.
        topic = self.topic()
        stalled = self.raw_connected(self.client_id("stalled"))
        self.assertEqual(stalled.subscribe(1, [(topic, 0)]), [0])
        # QoS 1 here so the sentinel is never dropped; the QoS 0 flood may be.
        others = self.paho(self.client_id("other"))
        others.subscribe(topic, 1)
        publisher = self.raw_connected(self.client_id("pub"))
        publisher.sock.settimeout(30.0)
        chunk = packets.publish(topic, b"z" * 50 * 1024)
        publisher.send(chunk * 400)  # raises socket.timeout if the broker stops reading
        publisher.send(packets.publish(topic, b"sentinel", qos=1, pid=1))
        self.assertEqual(publisher.expect(packets.PUBACK, timeout=30.0).pid, 1)
        self.assertEqual(others.until(topic, b"sentinel", timeout=30.0)[-1].payload, b"sentinel")
        probe = self.paho(self.client_id("probe"))
        probe.subscribe(self.topic("probe"), 1)
        self.assertRoundTrip(probe, self.topic("probe"), "still served")

    def test_subscriber_that_stops_reading_gets_its_whole_backlog_in_order(self):
        # 25 x 200 KiB of QoS 1 (20 in flight, 5 queued: within the default
        # limits, so none may be dropped) towards a 4 KiB receive window: the
        # broker's writes fill the socket, wait for it to drain and must go on
        # exactly where they stopped.
        topic = self.topic()
        subscriber = self.raw(rcvbuf=4096)
        self.assertEqual(subscriber.connect(self.client_id("sub"))[1], 0)
        self.assertEqual(subscriber.subscribe(1, [(topic, 1)]), [1])
        publisher = self.raw_connected(self.client_id("pub"))
        payloads = [b"%03d" % i + bytes([i]) * (200 * 1024) for i in range(25)]
        for i, payload in enumerate(payloads):
            publisher.send(packets.publish(topic, payload, qos=1, pid=i + 1))
        self.assertEqual([publisher.expect(packets.PUBACK, timeout=30.0).pid for _ in payloads],
                         list(range(1, 26)))
        received = []
        for _ in payloads:
            pkt = subscriber.expect(packets.PUBLISH, timeout=30.0)
            received.append(pkt.payload)
            subscriber.send(packets.puback(pkt.pid))
        self.assertEqual([p[:3] for p in received], [p[:3] for p in payloads])
        self.assertTrue(received == payloads, "payload bytes differ")

    def test_100_kib_binary_payload_arrives_intact(self):
        topic = self.topic()
        payload = random.Random(42).randbytes(100 * 1024)
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(topic, 2)
        publisher = self.paho(self.client_id("pub"))
        for qos in (0, 1, 2):
            with self.subTest(qos=qos):
                publisher.publish(topic, payload, qos)
                msg = subscriber.get(10.0)
                self.assertEqual(len(msg.payload), len(payload))
                self.assertTrue(msg.payload == payload, "payload bytes differ")

    def test_100_kib_binary_payload_from_mosquitto_pub(self):
        topic = self.topic()
        payload = random.Random(7).randbytes(100 * 1024)
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(payload)
        self.addCleanup(os.unlink, f.name)
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(topic, 1)
        mosquitto_pub(self.port, topic, qos=1, file=f.name)
        msg = subscriber.get(10.0)
        self.assertEqual(len(msg.payload), len(payload))
        self.assertTrue(msg.payload == payload, "payload bytes differ")


if __name__ == "__main__":
    unittest.main()
