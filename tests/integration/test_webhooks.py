"""Webhooks (README "Webhooks"): events POSTed to a receiver in this test,
signed the Standard Webhooks way, in order per client, retried while the
receiver fails, and kept in the store across a restart."""

import json
import os
import ssl
import threading
import time
import unittest
import urllib.request

import packets
from certificates import Certificates
from harness import Gateway
from rawclient import RawClient
from webhook_receiver import WAIT, WebhookTestCase, all_stats, get, poll, stats, webhook_config


def client_session(port, client_id, filters):
    """connected, one session.subscribed per filter, a publish, disconnected."""
    with RawClient(port) as c:
        c.connect(client_id)
        for i, f in enumerate(filters, 1):
            c.subscribe(i, [(f, 0)])
        c.send(packets.publish("wh/" + client_id, b"hello", qos=1, pid=100))
        c.expect(packets.PUBACK)
        c.send(packets.disconnect())
        c.expect_closed()


def concurrent_sessions(port, clients, filters):
    """client_session for each client, all at once."""
    threads = [threading.Thread(target=client_session, args=(port, c, filters)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)


def expected_sequence(client_id, filters):
    return (["client.connected"] + ["session.subscribed"] * len(filters) + ["message.publish", "client.disconnected"])


class WebhookTest(WebhookTestCase):
    def test_events_arrive_signed_and_in_order_per_client(self):
        rx = self.receiver()
        gw = self.start(webhook_config(rx.port))
        filters = ["a/%d" % i for i in range(5)]
        clients = ["dev-%d" % i for i in range(3)]
        concurrent_sessions(gw.mqtt_port, clients, filters)
        per_client = len(expected_sequence("", filters))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= per_client * len(clients)), rx.events())
        self.assertEqual(rx.bad_signatures, 0)
        for c in clients:
            events = rx.events(c)
            self.assertEqual([e["event"] for e in events], expected_sequence(c, filters))
            self.assertEqual([e["topic"] for e in events if e["event"] == "session.subscribed"], filters)
            publish = next(e for e in events if e["event"] == "message.publish")
            self.assertEqual((publish["topic"], publish["payload"], publish["qos"]), ("wh/" + c, "hello", 1))
        headers = [h for h, _ in rx.delivered]
        self.assertTrue(all(h["x-test"] == "yes" and h["content-type"] == "application/json" for h in headers))
        self.assertEqual(len({h["webhook-id"] for h in headers}), len(headers))  # one id per event
        self.assertTrue(all(abs(int(h["webhook-timestamp"]) - time.time()) < 60 for h in headers))
        self.assertTrue(poll(lambda: stats(gw)["delivered"] == len(headers)), stats(gw))
        self.assertEqual((stats(gw)["pending"], stats(gw)["dropped"]), (0, 0))
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % gw.ports["http"], timeout=5) as r:
            metrics = r.read().decode()
        self.assertIn('mqgate_webhook_delivered_total{webhook="test"} %d\n' % len(headers), metrics)
        self.assertIn('mqgate_webhook_pending{webhook="test"} 0\n', metrics)
        self.assertIsNotNone(get(gw, "/api/v1/webhooks")[1]["data"][0]["last_success"])
        gw.stop()

    def test_receiver_down_then_back_gets_everything_in_order(self):
        rx = self.receiver()
        rx.status = 500
        gw = self.start(webhook_config(rx.port))
        filters = ["b/%d" % i for i in range(3)]
        for c in ("down-1", "down-2"):
            client_session(gw.mqtt_port, c, filters)
        # Retried, each attempt refused, nothing delivered.
        self.assertTrue(rx.wait(lambda r: r.attempts >= 4))
        self.assertEqual(rx.delivered, [])
        self.assertGreaterEqual(stats(gw)["failed_attempts"], 2)
        with rx.cond:
            rx.status = 200
        total = 2 * len(expected_sequence("", filters))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= total), rx.events())
        for c in ("down-1", "down-2"):
            self.assertEqual([e["event"] for e in rx.events(c)], expected_sequence(c, filters))
        # A retried event keeps its webhook-id: no id arrives twice once delivered.
        ids = [h["webhook-id"] for h, _ in rx.delivered]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(poll(lambda: stats(gw)["pending"] == 0, timeout=5))
        gw.stop()

    def test_undelivered_events_survive_a_restart(self):
        rx = self.receiver()
        port = rx.port
        rx.close()  # connection refused from now on
        self.receivers.remove(rx)
        gw = self.start(webhook_config(port))
        filters = ["c/1", "c/2"]
        client_session(gw.mqtt_port, "restart-1", filters)
        # Every event is waiting (and was written to the store) before the restart.
        n = len(expected_sequence("", filters))
        self.assertTrue(poll(lambda: stats(gw)["pending"] == n), stats(gw))
        mqtt_port = gw.mqtt_port
        gw.stop()  # SIGTERM
        rx = self.receiver(port)
        gw = self.start(webhook_config(port), port=mqtt_port)
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= n), rx.events())
        self.assertEqual([e["event"] for e in rx.events("restart-1")], expected_sequence("restart-1", filters))
        self.assertTrue(poll(lambda: stats(gw)["pending"] == 0, timeout=5))
        gw.stop()
        # Delivered events are gone from the store: a third start delivers nothing again.
        before = len(rx.delivered)
        gw = self.start(webhook_config(port), port=mqtt_port)
        self.assertEqual(stats(gw)["pending"], 0)
        gw.stop()
        self.assertEqual(len(rx.delivered), before)

    def test_kill_9_with_undelivered_events_loses_none(self):
        rx = self.receiver()
        rx.status = 500
        gw = self.start(webhook_config(rx.port))
        clients = ["kill-%d" % i for i in range(3)]
        filters = ["e/1", "e/2", "e/3"]
        for c in clients:
            client_session(gw.mqtt_port, c, filters)
        n = len(clients) * len(expected_sequence("", filters))
        # Waiting in memory, and every store write committed (storage.sync "full": on disk).
        self.assertTrue(poll(lambda: stats(gw)["pending"] == n and all_stats(gw)["storage"]["pending_writes"] == 0),
                        all_stats(gw))
        mqtt_port = gw.mqtt_port
        gw.kill()  # SIGKILL
        self.assertEqual(gw.proc.returncode, -9)
        gw.proc.stdout.close()
        with rx.cond:
            rx.status = 200
        gw = self.start(webhook_config(rx.port), port=mqtt_port)
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= n), rx.events())
        for c in clients:
            self.assertEqual([e["event"] for e in rx.events(c)], expected_sequence(c, filters))
        ids = [h["webhook-id"] for h, _ in rx.delivered]
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(poll(lambda: stats(gw)["pending"] == 0, timeout=5))
        gw.stop()

    def test_kill_9_right_after_the_puback_loses_no_message_event(self):
        # Acknowledged means stored: each message.publish event commits with the PUBACK's batch. A
        # publisher without session or subscribers has nothing else to store, so before this the
        # PUBACK went at once and its event was written after it; a burst of large events makes the
        # store lag behind such acknowledgements.
        rx = self.receiver()
        port = rx.port
        rx.close()  # connection refused until it is back
        self.receivers.remove(rx)
        config = webhook_config(port, events=["message.publish"])
        gw = self.start(config)
        n = 300
        payloads = ["m%d:" % i + "x" * 30000 for i in range(1, n + 1)]
        with RawClient(gw.mqtt_port) as c:
            c.connect("acked-1")
            c.send(b"".join(packets.publish("wh/acked", p.encode(), qos=1, pid=i) for i, p in enumerate(payloads, 1)))
            acked = [c.expect(packets.PUBACK).pid for _ in range(n)]
            gw.kill()  # SIGKILL the moment the last PUBACK is read
        self.assertEqual(acked, list(range(1, n + 1)))
        self.assertEqual(gw.proc.returncode, -9)
        gw.proc.stdout.close()
        rx = self.receiver(port)
        gw = self.start(config, port=gw.mqtt_port)
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= n), (len(rx.delivered), stats(gw)))
        self.assertEqual([e["payload"] for e in rx.events("acked-1")], payloads)
        gw.stop()

    def test_events_older_than_max_age_are_dropped_and_counted(self):
        rx = self.receiver()
        rx.status = 503
        gw = self.start(webhook_config(rx.port, max_age_s=1))
        client_session(gw.mqtt_port, "expire-1", ["d/1"])
        n = len(expected_sequence("", ["d/1"]))
        self.assertTrue(poll(lambda: stats(gw)["dropped"] == n), stats(gw))
        s = stats(gw)
        self.assertEqual((s["pending"], s["delivered"]), (0, 0))
        self.assertEqual(s["endpoints"][0]["expired"], n)
        self.assertEqual(s["endpoints"][0]["last_status"], 503)
        self.assertEqual(rx.delivered, [])
        gw.stop()

    def test_batches_carry_several_events_in_order_per_client(self):
        rx = self.receiver()
        rx.status = 500  # the first batches fail and are retried whole
        gw = self.start(webhook_config(rx.port, batch={"max_events": 8, "max_wait_ms": 300}))
        filters = ["f/%d" % i for i in range(4)]
        clients = ["batch-%d" % i for i in range(4)]
        concurrent_sessions(gw.mqtt_port, clients, filters)
        self.assertTrue(rx.wait(lambda r: r.attempts >= 2))
        with rx.cond:
            rx.status = 200
        total = len(clients) * len(expected_sequence("", filters))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= total), rx.events())
        self.assertEqual(rx.bad_signatures, 0)
        for c in clients:
            self.assertEqual([e["event"] for e in rx.events(c)], expected_sequence(c, filters))
        bodies = [body for _, body in rx.requests]
        self.assertTrue(all(isinstance(b, list) and 1 <= len(b) <= 8 for b in bodies), bodies)
        self.assertLess(len(bodies), total)  # batched: fewer requests than events
        self.assertGreater(max(len(b) for b in bodies), 1)
        ids = [h["webhook-id"] for h, _ in rx.requests]  # one id per delivery, none delivered twice
        self.assertEqual(len(set(ids)), len(ids))
        self.assertTrue(poll(lambda: stats(gw)["delivered"] == total and stats(gw)["pending"] == 0), stats(gw))
        gw.stop()

    def test_many_events_share_few_kept_alive_connections(self):
        rx = self.receiver()
        gw = self.start(webhook_config(rx.port, max_connections=2))
        filters = ["k/1", "k/2"]
        clients = ["keep-%d" % i for i in range(8)]
        concurrent_sessions(gw.mqtt_port, clients, filters)
        total = len(clients) * len(expected_sequence("", filters))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= total), rx.events())
        for c in clients:
            self.assertEqual([e["event"] for e in rx.events(c)], expected_sequence(c, filters))
        self.assertEqual(len(rx.requests), total)  # one event per request
        self.assertLessEqual(len(rx.ports), 2, rx.ports)
        gw.stop()

    def test_events_refused_with_400_fail_at_once_and_are_listed(self):
        rx = self.receiver()
        rx.status = 400
        # A long max_age_s: a refusal must not wait for it.
        gw = self.start(webhook_config(rx.port, max_age_s=3600))
        client_session(gw.mqtt_port, "refused-1", ["g/1"])
        n = len(expected_sequence("", ["g/1"]))
        self.assertTrue(poll(lambda: stats(gw)["dropped"] == n), stats(gw))
        status, failed = get(gw, "/api/v1/webhooks/test/failed")
        self.assertEqual(status, 200)
        self.assertEqual(failed["meta"]["count"], n)
        # Newest first; each with why it was given up and the event itself.
        self.assertEqual([f["event"]["event"] for f in failed["data"]][::-1], expected_sequence("", ["g/1"]))
        for f in failed["data"]:
            self.assertEqual((f["clientid"], f["reason"], f["attempts"]), ("refused-1", "refused", 1))
            self.assertEqual((f["last_status"], f["last_error"]), (400, "HTTP 400"))
            self.assertGreaterEqual(f["failed_ms"], f["created_ms"])
        status, hooks = get(gw, "/api/v1/webhooks")
        self.assertEqual(status, 200)
        [hook] = hooks["data"]
        self.assertEqual((hook["name"], hook["url"], hook["delivered"], hook["refused"], hook["expired"], hook["pending"]),
                         ("test", "http://127.0.0.1:%d/hook" % rx.port, 0, n, 0, 0))
        # Each event was posted once: nothing retried.
        self.assertEqual(rx.attempts, n)
        self.assertEqual((hook["last_status"], hook["last_error"], hook["last_success"]), (400, "HTTP 400", None))
        self.assertNotIn("secret", hook)
        self.assertEqual(get(gw, "/api/v1/webhooks/nope/failed")[0], 404)
        gw.stop()

    def test_429_is_retried_not_refused(self):
        rx = self.receiver()
        rx.status = 429
        gw = self.start(webhook_config(rx.port, max_age_s=3600))
        client_session(gw.mqtt_port, "busy-1", ["g/1"])
        self.assertTrue(rx.wait(lambda r: r.attempts >= 2), rx.attempts)  # the first event, tried again
        rx.status = 200
        expected = expected_sequence("busy-1", ["g/1"])
        self.assertTrue(rx.wait(lambda r: [e["event"] for e in r.events("busy-1")] == expected), rx.events())
        # The receiver has the last event before the gateway has read its 200: wait for the count.
        self.assertTrue(poll(lambda: stats(gw)["delivered"] == len(expected)), stats(gw))
        self.assertEqual(stats(gw)["dropped"], 0)
        gw.stop()

    def test_a_kept_alive_connection_the_receiver_closed_is_replaced(self):
        rx = self.receiver()
        rx.server.RequestHandlerClass.timeout = 0.3  # the receiver closes a connection idle this long
        gw = self.start(webhook_config(rx.port, max_connections=1))
        client_session(gw.mqtt_port, "idle-1", [])
        n = len(expected_sequence("", []))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= n))
        self.assertTrue(rx.wait(lambda r: r.closed >= 1))  # the gateway's idle connection is gone
        client_session(gw.mqtt_port, "idle-2", [])
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= 2 * n), rx.events())
        self.assertEqual([e["event"] for e in rx.events("idle-2")], expected_sequence("idle-2", []))
        # Sent again on a new connection at once: not a failed attempt.
        self.assertEqual(stats(gw)["failed_attempts"], 0)
        self.assertGreaterEqual(len(rx.ports), 2)
        gw.stop()

    def https_receiver(self, certs, signed_by):
        cert, key = certs.issue("receiver-" + signed_by, "127.0.0.1", server=True, ca=signed_by)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return self.receiver(tls=context)

    def https_config(self, rx, certs):
        config = webhook_config(rx.port, ca_file=certs.ca)
        config["webhooks"][0]["url"] = "https://127.0.0.1:%d/hook" % rx.port
        return config

    def test_https_receiver_signed_by_the_ca_file_gets_the_events(self):
        certs = Certificates()
        self.addCleanup(certs.remove)
        rx = self.https_receiver(certs, "ca")
        gw = self.start(self.https_config(rx, certs))
        client_session(gw.mqtt_port, "tls-1", ["t/1"])
        n = len(expected_sequence("", ["t/1"]))
        self.assertTrue(rx.wait(lambda r: len(r.delivered) >= n), stats(gw))
        self.assertEqual([e["event"] for e in rx.events("tls-1")], expected_sequence("tls-1", ["t/1"]))
        self.assertEqual(rx.bad_signatures, 0)
        gw.stop()

    def test_https_receiver_of_another_ca_is_refused_and_retried(self):
        certs = Certificates()
        self.addCleanup(certs.remove)
        rx = self.https_receiver(certs, "other-ca")
        gw = self.start(self.https_config(rx, certs))
        client_session(gw.mqtt_port, "tls-2", [])
        # Not signed by a CA of ca_file: the handshake fails, and is retried like any failure.
        self.assertTrue(poll(lambda: stats(gw)["failed_attempts"] >= 2), stats(gw))
        endpoint = stats(gw)["endpoints"][0]
        self.assertIn("tls handshake", endpoint["last_error"])
        self.assertIn("certificate verify failed", endpoint["last_error"])
        self.assertEqual((endpoint["delivered"], endpoint["last_status"]), (0, 0))
        self.assertGreater(endpoint["pending"], 0)
        self.assertEqual(rx.attempts, 0)
        gw.stop()

    def test_bad_ca_file_stops_start_up_naming_the_key(self):
        not_pem = os.path.join(self.data, "not-a-ca.pem")
        with open(not_pem, "w") as f:
            f.write("not a certificate\n")
        for ca_file in (not_pem, os.path.join(self.data, "missing.pem")):
            gw = Gateway(webhook_config(1, ca_file=ca_file), data_dir=self.data)
            with self.assertRaises(AssertionError):
                gw.start()
            gw.proc.stdout.close()
            self.assertEqual(gw.proc.returncode, 2, ca_file)
            self.assertIn("webhooks[0].ca_file", gw.log_text())

    def test_bad_webhook_config_stops_start_up_naming_the_key(self):
        gw = Gateway({"webhooks": [{"name": "x", "url": "ftp://h/", "events": ["client.connected"]}]},
                     data_dir=self.data)
        with self.assertRaises(AssertionError):
            gw.start()
        gw.proc.stdout.close()
        self.assertEqual(gw.proc.returncode, 2)
        self.assertIn("webhooks[0].url", gw.log_text())


if __name__ == "__main__":
    unittest.main()
