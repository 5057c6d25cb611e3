"""SIGHUP reloads the webhooks list (README "Webhooks"): an unchanged webhook
goes on with its counters and outbox, a changed one's pending events go to its
new definition, a removed one stops, a new one starts, a bad file changes
nothing."""

import json
import os
import signal
import unittest

import packets
from rawclient import RawClient
from webhook_receiver import SECRET, WebhookTestCase, get, poll


def hook(name, port, **extra):
    h = {"name": name, "url": "http://127.0.0.1:%d/%s" % (port, name), "secret": SECRET,
         "events": ["message.publish"], "topics": ["r/#"], "timeout_ms": 2000}
    h.update(extra)
    return h


def publish(port, client_id, payloads):
    with RawClient(port) as c:
        c.connect(client_id)
        for i, payload in enumerate(payloads, 1):
            c.send(packets.publish("r/" + client_id, payload.encode(), qos=1, pid=i))
            c.expect(packets.PUBACK)


class WebhookReloadTest(WebhookTestCase):
    def hooks(self, gw):
        return {h["name"]: h for h in get(gw, "/api/v1/webhooks")[1]["data"]}

    def sighup(self, gw, config, expect):
        """Writes `config` over the gateway's file, sends SIGHUP, waits for the log line `expect`."""
        with open(os.path.join(gw.workdir, "mqgate.json"), "w") as f:
            json.dump(config, f)
        before = gw.log_text().count(expect)
        gw.proc.send_signal(signal.SIGHUP)
        self.assertTrue(poll(lambda: gw.log_text().count(expect) > before, timeout=10), gw.log_tail())

    def test_sighup_keeps_unchanged_webhooks_and_applies_the_rest(self):
        kept, old, new, gone, added = (self.receiver() for _ in range(5))
        old.status = 503  # the changed webhook's events wait, to be carried over
        gw = self.start({"webhooks": [hook("kept", kept.port), hook("changed", old.port, max_age_s=3600),
                                      hook("removed", gone.port)]})
        publish(gw.mqtt_port, "before", ["b1", "b2"])
        self.assertTrue(kept.wait(lambda r: len(r.delivered) == 2))
        self.assertTrue(gone.wait(lambda r: len(r.delivered) == 2))
        self.assertTrue(old.wait(lambda r: r.attempts >= 1))
        self.assertTrue(poll(lambda: self.hooks(gw)["kept"]["delivered"] == 2))
        self.assertEqual(self.hooks(gw)["changed"]["pending"], 2)

        self.sighup(gw, {"webhooks": [hook("kept", kept.port), hook("changed", new.port, max_age_s=3600),
                                      hook("added", added.port)]}, "webhooks reloaded")
        self.assertIn("webhooks reloaded: 1 unchanged, 1 added, 1 changed, 1 removed", gw.log_text())
        listed = self.hooks(gw)
        self.assertEqual(sorted(listed), ["added", "changed", "kept"])
        self.assertEqual(listed["kept"]["delivered"], 2)  # its counters go on
        self.assertEqual(listed["changed"]["url"], "http://127.0.0.1:%d/changed" % new.port)
        # The changed webhook's pending events go to its new URL, before what their client sends after
        # the reload.
        publish(gw.mqtt_port, "before", ["a1"])
        self.assertTrue(new.wait(lambda r: len(r.delivered) == 3), new.events())
        self.assertEqual([e["payload"] for e in new.events()], ["b1", "b2", "a1"])
        self.assertTrue(kept.wait(lambda r: len(r.delivered) == 3))
        self.assertTrue(added.wait(lambda r: len(r.delivered) == 1))
        self.assertEqual([e["payload"] for e in added.events()], ["a1"])
        self.assertTrue(poll(lambda: self.hooks(gw)["kept"]["delivered"] == 3))
        self.assertEqual(len(gone.delivered), 2)  # the removed one got nothing after
        self.assertEqual(get(gw, "/api/v1/webhooks/removed/failed")[0], 404)

        # A bad file is refused whole: the list stays as it was.
        self.sighup(gw, {"webhooks": [hook("kept", kept.port, url="ftp://nowhere/")]},
                    "reload of webhooks failed, keeping the previous ones")
        self.assertIn("webhooks[0].url", gw.log_tail())
        self.assertEqual(sorted(self.hooks(gw)), ["added", "changed", "kept"])
        publish(gw.mqtt_port, "later", ["l1"])
        self.assertTrue(kept.wait(lambda r: len(r.delivered) == 4))
        self.assertTrue(added.wait(lambda r: len(r.delivered) == 2))
        gw.stop()

    def test_a_removed_webhooks_pending_events_are_discarded_not_kept_for_later(self):
        rx = self.receiver()
        rx.status = 503
        gw = self.start({"webhooks": [hook("going", rx.port, max_age_s=3600)]})
        publish(gw.mqtt_port, "dev", ["p1", "p2", "p3"])
        self.assertTrue(poll(lambda: self.hooks(gw)["going"]["pending"] == 3))
        self.sighup(gw, {"webhooks": []}, "webhooks reloaded")
        self.assertIn("webhook going: removed; 3 pending event(s) discarded", gw.log_text())
        self.assertEqual(self.hooks(gw), {})
        # Added again under the same name: the discarded events are gone from the store too.
        again = self.receiver()
        self.sighup(gw, {"webhooks": [hook("going", again.port)]}, "webhooks reloaded")
        publish(gw.mqtt_port, "dev", ["p4"])
        self.assertTrue(again.wait(lambda r: len(r.delivered) >= 1))
        self.assertTrue(poll(lambda: self.hooks(gw)["going"]["delivered"] == 1))
        self.assertEqual([e["payload"] for e in again.events()], ["p4"])
        self.assertEqual(rx.delivered, [])
        gw.stop()


if __name__ == "__main__":
    unittest.main()
