"""A slow receiver costs outbox space only (README "Webhooks"): MQTT round
trips do not wait for it, and the outbox stays within max_pending, the oldest
waiting events dropped and counted."""

import time
import unittest

from pahoclient import PahoClient
from webhook_receiver import WebhookTestCase, get, poll, webhook_config

DELAY = 2.0  # seconds the receiver takes per request
MAX_PENDING = 5


class SlowReceiverTest(WebhookTestCase):
    def test_mqtt_does_not_wait_for_a_slow_receiver_and_the_outbox_stays_bounded(self):
        rx = self.receiver()
        rx.delay = DELAY
        gw = self.start(webhook_config(rx.port, events=["message.publish"], topics=["slow/#"],
                                       max_pending=MAX_PENDING, max_connections=1, timeout_ms=10000))
        subscriber = PahoClient("slow-sub")
        self.addCleanup(subscriber.stop)
        subscriber.connect(gw.mqtt_port)
        subscriber.subscribe("slow/#", 1)
        publisher = PahoClient("slow-pub")
        self.addCleanup(publisher.stop)
        publisher.connect(gw.mqtt_port)
        n = 30
        round_trips = []
        for i in range(n):
            started = time.monotonic()
            publisher.publish("slow/t", "m%d" % i, qos=1)  # returns at the PUBACK
            message = subscriber.get(DELAY * 5)
            round_trips.append(time.monotonic() - started)
            self.assertEqual(message.payload, b"m%d" % i)
        # Not a timing benchmark: a broker that waited for the receiver would take DELAY or more
        # per round trip; it takes well under.
        self.assertLess(max(round_trips), DELAY / 2, round_trips)
        self.assertTrue(rx.wait(lambda r: r.attempts >= 1))
        # n events against max_pending 5 and one request under way at a time: the oldest waiting
        # ones were dropped ("overflowed") and counted, with the drop in the failed list.
        [hook] = get(gw, "/api/v1/webhooks")[1]["data"]
        self.assertLessEqual(hook["pending"], MAX_PENDING, hook)
        self.assertGreaterEqual(hook["overflowed"], n - MAX_PENDING - 1, hook)
        self.assertEqual(hook["dropped"], hook["overflowed"] + hook["expired"] + hook["refused"])
        # Logged at the first and the tenth drop, not at each one.
        log = gw.log_text()
        self.assertIn("(1 so far)", log)
        self.assertIn("(10 so far)", log)
        self.assertEqual(log.count("more than max_pending"), 2 if hook["overflowed"] < 100 else 3, log)
        failed = get(gw, "/api/v1/webhooks/test/failed")[1]["data"]
        self.assertTrue(failed and all(f["reason"] == "overflowed" for f in failed), failed)
        # The oldest waiting went first: m0 was under way already.
        self.assertEqual(failed[-1]["event"]["payload"], "m1")
        # What was kept is delivered in order, as the receiver answers.
        rx.release.set()
        with rx.cond:
            rx.delay = 0
        self.assertTrue(poll(lambda: get(gw, "/api/v1/webhooks")[1]["data"][0]["pending"] == 0), hook)
        [hook] = get(gw, "/api/v1/webhooks")[1]["data"]
        self.assertEqual(hook["delivered"] + hook["overflowed"], n, hook)
        payloads = [int(e["payload"][1:]) for e in rx.events("slow-pub")]
        self.assertEqual(payloads, sorted(payloads))
        self.assertEqual(payloads[-1], n - 1)  # the newest was kept
        gw.stop()


if __name__ == "__main__":
    unittest.main()
