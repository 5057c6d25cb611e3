"""Persistent sessions, redelivery, exactly-once and the offline queue limit."""

import time
import unittest

import packets
from harness import GatewayTestCase


class SessionTest(GatewayTestCase):
    def persistent(self, client_id, expect_present):
        client = self.paho(client_id, clean_session=False, connect=False)
        self.assertEqual(client.connect(self.port), expect_present, "session present")
        return client

    def test_offline_qos1_and_qos2_delivered_on_reconnect(self):
        topic, cid = self.topic(), self.client_id("sub")
        subscriber = self.persistent(cid, False)
        subscriber.subscribe(topic, 1)
        subscriber.disconnect()
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "offline q1", 1)
        publisher.publish(topic, "offline q2", 2)
        resumed = self.persistent(cid, True)
        received = resumed.collect(2)
        self.assertEqual([(m.payload, m.qos) for m in received],
                         [(b"offline q1", 1), (b"offline q2", 1)])

    def test_offline_qos0_not_queued(self):
        # Policy (like Mosquitto's default): QoS 0 is not queued for offline sessions.
        topic, cid = self.topic(), self.client_id("sub")
        subscriber = self.persistent(cid, False)
        subscriber.subscribe(topic, 1)
        subscriber.disconnect()
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "offline q0", 0)
        publisher.publish(topic, "offline q1", 1)
        resumed = self.persistent(cid, True)
        self.assertEqual([m.payload for m in resumed.until(topic)], [b"offline q1"])

    def test_subscriptions_survive_reconnect(self):
        topic, cid = self.topic(), self.client_id("sub")
        subscriber = self.persistent(cid, False)
        subscriber.subscribe(topic, 1)
        subscriber.disconnect()
        resumed = self.persistent(cid, True)
        self.assertRoundTrip(resumed, topic, "no resubscribe needed")

    def test_clean_session_discards_subscriptions(self):
        topic, probe, cid = self.topic(), self.topic("probe"), self.client_id("sub")
        subscriber = self.persistent(cid, False)
        subscriber.subscribe(topic, 1)
        subscriber.disconnect()
        clean = self.paho(cid, clean_session=True, connect=False)
        self.assertFalse(clean.connect(self.port))
        clean.disconnect()
        again = self.persistent(cid, False)
        again.subscribe(probe, 1)
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "old subscription", 1)
        publisher.publish(probe, "probe", 1)
        self.assertEqual([m.topic for m in again.until(probe)], [probe])

    def test_unacknowledged_qos1_redelivered_with_dup_and_same_id(self):
        topic, cid = self.topic(), self.client_id("sub")
        first = self.raw()
        self.assertEqual(first.connect(cid, clean=False), (False, 0))
        self.assertEqual(first.subscribe(1, [(topic, 1)]), [1])
        self.paho(self.client_id("pub")).publish(topic, "ack me", 1)
        original = first.expect(packets.PUBLISH)
        self.assertEqual((original.qos, original.dup, original.payload), (1, False, b"ack me"))
        first.close()  # no PUBACK, no DISCONNECT

        second = self.raw()
        self.assertEqual(second.connect(cid, clean=False), (True, 0))
        again = second.expect(packets.PUBLISH)
        self.assertEqual((again.topic, again.payload, again.qos, again.dup, again.pid),
                         (topic.encode(), b"ack me", 1, True, original.pid))
        second.send(packets.puback(again.pid))
        # Acknowledged now: the next thing on the topic is new, not another resend.
        self.paho(self.client_id("pub2")).publish(topic, "next", 1)
        following = second.expect(packets.PUBLISH)
        self.assertEqual((following.payload, following.dup), (b"next", False))

    def test_unacknowledged_pubrel_resent_on_reconnect(self):
        topic, cid = self.topic(), self.client_id("sub")
        first = self.raw()
        first.connect(cid, clean=False)
        self.assertEqual(first.subscribe(1, [(topic, 2)]), [2])
        self.paho(self.client_id("pub")).publish(topic, "exactly once", 2)
        pub = first.expect(packets.PUBLISH)
        self.assertEqual(pub.qos, 2)
        first.send(packets.pubrec(pub.pid))
        self.assertEqual(first.recv_packet().raw, packets.pubrel(pub.pid))
        first.close()  # no PUBCOMP

        second = self.raw()
        self.assertEqual(second.connect(cid, clean=False), (True, 0))
        self.assertEqual(second.recv_packet().raw, packets.pubrel(pub.pid),
                         "the PUBREL is resent, not the PUBLISH")
        second.send(packets.pubcomp(pub.pid))
        self.paho(self.client_id("pub2")).publish(topic, "next", 1)
        self.assertEqual(second.expect(packets.PUBLISH).payload, b"next")

    def check_second_qos2_publish_before_pubrel(self, second, dup):
        """A QoS 2 PUBLISH with id 7, then `second` with the same id before
        PUBREL: PUBREC each time, and only the first content is delivered."""
        topic = self.topic()
        # Raw at QoS 1: every PUBLISH the broker sends is seen, in order.
        subscriber = self.raw_connected(self.client_id("sub"))
        self.assertEqual(subscriber.subscribe(1, [(topic, 1)]), [1])
        publisher = self.raw_connected(self.client_id("pub"))
        publisher.send(packets.publish(topic, b"first", qos=2, pid=7))
        self.assertEqual(publisher.recv_packet().raw, b"\x50\x02\x00\x07")
        publisher.send(packets.publish(topic, second, qos=2, pid=7, dup=dup))
        self.assertEqual(publisher.recv_packet().raw, b"\x50\x02\x00\x07")
        publisher.send(packets.pubrel(7))
        self.assertEqual(publisher.recv_packet().raw, b"\x70\x02\x00\x07")
        publisher.send(packets.publish(topic, b"sentinel", qos=1, pid=8))
        self.assertEqual(publisher.recv_packet().raw, b"\x40\x02\x00\x08")
        received = [subscriber.expect(packets.PUBLISH).payload for _ in range(2)]
        self.assertEqual(received, [b"first", b"sentinel"])

    def test_inbound_qos2_duplicate_before_pubrel_delivered_once(self):
        self.check_second_qos2_publish_before_pubrel(b"first", dup=True)

    def test_inbound_qos2_packet_id_reused_with_new_content_before_pubrel_keeps_the_first(self):
        # POLICY (README): before PUBREL a PUBLISH with the same id is the
        # same message resent [MQTT-4.3.3-2], whatever it carries.
        self.check_second_qos2_publish_before_pubrel(b"second", dup=False)

    def test_wrong_ack_type_for_the_message_in_flight_closes(self):
        # PUBACK for QoS 2, PUBREC or PUBCOMP for QoS 1: a protocol violation
        # that would otherwise hold the message in flight until a reconnect.
        cases = ((2, packets.PUBACK), (1, packets.PUBREC), (1, packets.PUBCOMP), (2, packets.PUBCOMP))
        publisher = self.paho(self.client_id("pub"))
        for n, (qos, ack_type) in enumerate(cases):
            with self.subTest(qos=qos, ack=packets.TYPE_NAMES[ack_type]):
                topic = self.topic(str(n))
                subscriber = self.raw_connected(self.client_id("sub%d" % n))
                self.assertEqual(subscriber.subscribe(1, [(topic, qos)]), [qos])
                publisher.publish(topic, b"m", qos)
                pub = subscriber.expect(packets.PUBLISH)
                subscriber.send(packets.ack(ack_type, pub.pid))
                self.assertClosed(subscriber)
                self.assertEqual(subscriber.discarded, [])

    def test_inbound_qos2_packet_id_reusable_after_pubcomp(self):
        topic = self.topic()
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(topic, 2)
        publisher = self.raw_connected(self.client_id("pub"))
        for payload in (b"first", b"second"):
            publisher.send(packets.publish(topic, payload, qos=2, pid=9))
            self.assertEqual(publisher.recv_packet().raw, b"\x50\x02\x00\x09")
            publisher.send(packets.pubrel(9))
            self.assertEqual(publisher.recv_packet().raw, b"\x70\x02\x00\x09")
        self.assertEqual([m.payload for m in subscriber.collect(2)], [b"first", b"second"])

    def test_outbound_inflight_window_of_20(self):
        # Default max_inflight 20: the 21st QoS 1 message waits for a PUBACK.
        topic = self.topic()
        subscriber = self.raw_connected(self.client_id("sub"))
        self.assertEqual(subscriber.subscribe(1, [(topic, 1)]), [1])
        publisher = self.paho(self.client_id("pub"))
        for i in range(25):
            publisher.publish(topic, str(i), 1)
        window = [subscriber.expect(packets.PUBLISH) for _ in range(20)]
        self.assertEqual([p.payload for p in window], [str(i).encode() for i in range(20)])
        self.assertEqual(len({p.pid for p in window}), 20, "packet ids in flight must differ")
        with self.assertRaises(TimeoutError, msg="more than 20 messages in flight"):
            subscriber.recv_packet(timeout=0.5)
        subscriber.send(packets.puback(window[0].pid))
        self.assertEqual(subscriber.expect(packets.PUBLISH).payload, b"20")

    def test_qos1_publish_acknowledged_with_its_packet_id(self):
        client = self.raw_connected()
        client.send(packets.publish(self.topic(), b"x", qos=1, pid=0xBEEF))
        self.assertEqual(client.recv_packet().raw, b"\x40\x02\xbe\xef")


class QueueLimitTest(GatewayTestCase):
    config = {"mqtt": {"max_queued_messages": 10, "sys_interval": 1}}

    def test_offline_queue_keeps_first_10_and_counts_the_dropped(self):
        topic, cid = self.topic(), self.client_id("sub")
        subscriber = self.paho(cid, clean_session=False)
        subscriber.subscribe(topic, 1)
        subscriber.disconnect()
        publisher = self.paho(self.client_id("pub"))
        infos = [publisher.publish(topic, str(i), 1, wait=False) for i in range(25)]
        for info in infos:
            info.wait_for_publish(10.0)
            self.assertTrue(info.is_published(), "a dropped message is still acknowledged")

        resumed = self.paho(cid, clean_session=False, connect=False)
        self.assertTrue(resumed.connect(self.port))
        received = resumed.collect(10)
        self.assertEqual([m.payload for m in received], [str(i).encode() for i in range(10)])
        publisher.publish(topic, "after", 1)
        self.assertEqual([m.payload for m in resumed.until(topic, b"after")], [b"after"],
                         "more than 10 messages were queued")

        watcher = self.paho(self.client_id("sys"))
        watcher.subscribe("$SYS/broker/publish/messages/dropped", 0)
        deadline = time.monotonic() + 5.0
        dropped = None
        for _ in range(100):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            dropped = int(watcher.get(remaining).payload)
            if dropped >= 15:
                break
        self.assertIsNotNone(dropped)
        self.assertGreaterEqual(dropped, 15)


if __name__ == "__main__":
    unittest.main()
