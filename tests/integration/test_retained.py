"""Retained messages: delivery to later subscribers, replacement, deletion."""

import unittest

from harness import GatewayTestCase
from mosquitto_cli import mosquitto_pub


class RetainedTest(GatewayTestCase):
    def retain(self, topic, payload, qos=1):
        mosquitto_pub(self.port, topic, payload, qos=qos, retain=True)
        if payload:
            self.addCleanup(mosquitto_pub, self.port, topic, "", 1, True)

    def first_after_subscribe(self, topic_filter):
        """Subscribes, then publishes a non-retained probe: returns every
        message received up to the probe (so the retained ones, if any)."""
        probe_topic = self.topic() + "-probe"
        subscriber = self.paho(self.client_id("late"))
        subscriber.subscribe([(topic_filter, 1), (probe_topic, 1)])
        subscriber.publish(probe_topic, "probe", 1)
        received = subscriber.until(probe_topic, b"probe")
        return [(m.topic, m.payload, m.retain) for m in received[:-1]]

    def test_retained_message_delivered_to_later_subscriber_with_retain_flag(self):
        topic = self.topic()
        self.retain(topic, "kept")
        subscriber = self.paho(self.client_id("late"))
        subscriber.subscribe(topic, 1)
        msg = subscriber.get()
        self.assertEqual((msg.topic, msg.payload, msg.retain, msg.qos), (topic, b"kept", True, 1))

    def test_retained_message_seen_by_mosquitto_sub_with_retain_flag(self):
        topic = self.topic()
        self.retain(topic, "kept for mosquitto_sub", qos=0)
        sub = self.mosquitto_sub(topic, 1, count=1)
        (msg,) = sub.messages(1)
        self.assertEqual((msg.topic, msg.payload, msg.retain, msg.qos),
                         (topic, "kept for mosquitto_sub", 1, 0))

    def test_retained_qos_is_min_of_stored_and_subscription(self):
        topic = self.topic()
        self.retain(topic, "qos2", qos=2)
        subscriber = self.paho(self.client_id("late"))
        subscriber.subscribe(topic, 1)
        self.assertEqual(subscriber.get().qos, 1)

    def test_newer_retained_message_replaces_older(self):
        topic = self.topic()
        self.retain(topic, "old")
        self.retain(topic, "new")
        self.assertEqual(self.first_after_subscribe(topic), [(topic, b"new", True)])

    def test_empty_retained_payload_deletes_retained_message(self):
        topic = self.topic()
        self.retain(topic, "doomed")
        self.retain(topic, "")
        self.assertEqual(self.first_after_subscribe(topic), [])

    def test_deletion_is_forwarded_to_current_subscribers(self):
        topic = self.topic()
        self.retain(topic, "doomed")
        current = self.paho(self.client_id("current"))
        current.subscribe(topic, 1)
        self.assertEqual(current.get().payload, b"doomed")
        self.retain(topic, "")
        msg = current.get()
        self.assertEqual((msg.payload, msg.retain), (b"", False))

    def test_wildcard_subscription_receives_all_matching_retained(self):
        root = self.topic()
        for suffix in ("a", "b/c", "d/e/f"):
            self.retain(root + "/" + suffix, suffix)
        self.retain(self.topic() + "-other/a", "other")
        received = self.first_after_subscribe(root + "/#")
        self.assertEqual(sorted(received),
                         [(root + "/" + s, s.encode(), True) for s in ("a", "b/c", "d/e/f")])

    def test_wildcard_retained_with_mosquitto_sub(self):
        root = self.topic()
        for suffix in ("x/1", "x/2", "y/1"):
            self.retain(root + "/" + suffix, suffix)
        sub = self.mosquitto_sub(root + "/+/1", 0, count=2)
        self.assertEqual(sorted((m.topic, m.retain) for m in sub.messages(2)),
                         [(root + "/x/1", 1), (root + "/y/1", 1)])

    def test_retained_message_survives_publisher_disconnect(self):
        topic = self.topic()
        publisher = self.paho(self.client_id("pub"))
        publisher.publish(topic, "still here", 1, retain=True)
        self.addCleanup(mosquitto_pub, self.port, topic, "", 1, True)
        publisher.disconnect()
        self.assertEqual(self.first_after_subscribe(topic),
                         [(topic, b"still here", True)])


if __name__ == "__main__":
    unittest.main()
