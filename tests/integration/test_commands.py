"""Commands that wait for their device (issue 14): /api/v1/commands against the
real binary, with paho-mqtt devices that connect late, keep a persistent
session, answer on the response topic, or never come; and a restart on the
same data directory."""

import http.client
import json
import shutil
import tempfile
import unittest

import packets
import test_rest
from harness import Gateway
from pahoclient import PahoClient
from rawclient import RawClient

TIMEOUT = 10.0


def statuses(command):
    return [h["status"] for h in command["history"]]


def silent_device(port, client_id, topic_filter, qos, clean=True):
    """A device that acknowledges only when the test says so: connected and subscribed, byte by byte."""
    device = RawClient(port, timeout=TIMEOUT)
    assert device.connect(client_id, clean=clean)[1] == 0
    assert device.subscribe(1, [(topic_filter, qos)]) == [qos]
    return device


class CommandsTestCase(test_rest.RestTestCase):
    def post(self, body):
        return self.request("POST", "/api/v1/commands", body)

    def queue(self, **body):
        status, _, answer = self.post(body)
        self.assertEqual(status, 202, answer)
        self.assertEqual(answer["status"], "queued")
        self.assertTrue(answer["id"])
        return answer["id"]

    def command(self, command_id):
        status, _, body = self.get("/api/v1/commands/" + command_id)
        self.assertEqual(status, 200, body)
        return body

    def wait_status(self, command_id, wanted):
        return test_rest.eventually(lambda: (lambda c: c if c["status"] == wanted else None)(self.command(command_id)),
                                    "command %s %s" % (command_id, wanted))

    def command_events(self, command_id):
        return [(e["event"], e) for e in self.events() if e["event"].startswith("command.") and e["id"] == command_id]

    def device(self, client_id, topic_filter, clean_session=True):
        device = PahoClient(client_id, clean_session)
        self.addCleanup(device.stop)
        device.connect(self.port)
        device.subscribe(topic_filter, 1)
        return device


class CommandsTest(CommandsTestCase):
    def test_offline_device_receives_the_command_when_it_connects_within_the_ttl(self):
        dev = self.client_id("dev")
        command_id = self.queue(clientid=dev, topic="devices/{clientid}/cmd", payload="reboot", qos=1, ttl_s=30)
        listed = self.command(command_id)
        self.assertEqual((listed["status"], listed["clientid"], listed["topic"]), ("queued", dev, "devices/%s/cmd" % dev))
        self.assertEqual((listed["payload"], listed["encoding"], listed["qos"]), ("reboot", "plain", 1))
        self.assertEqual(listed["expires_at_ms"] - listed["created_at_ms"], 30000)

        device = self.device(dev, "devices/%s/cmd" % dev)
        message = device.get(TIMEOUT)
        self.assertEqual((message.topic, message.payload, message.qos), ("devices/%s/cmd" % dev, b"reboot", 1))
        acked = self.wait_status(command_id, "acked")
        self.assertEqual(statuses(acked), ["queued", "sent", "acked"])
        times = [h["ts"] for h in acked["history"]]
        self.assertEqual(times, sorted(times))
        self.assertTrue(all(h["time"].endswith("Z") for h in acked["history"]))
        # The same history on /api/v1/events, in order.
        events = test_rest.eventually(lambda: self.command_events(command_id) if len(self.command_events(command_id)) == 2
                                      else None, "command events")
        self.assertEqual([name for name, _ in events], ["command.sent", "command.acked"])
        sent = events[0][1]
        self.assertEqual((sent["clientid"], sent["topic"], sent["qos"]), (dev, "devices/%s/cmd" % dev, 1))
        self.assertEqual(sent["ts"], acked["history"][1]["ts"])

    def test_a_connected_device_that_is_not_subscribed_gets_it_once_it_subscribes(self):
        dev = self.client_id("dev")
        device = PahoClient(dev)
        self.addCleanup(device.stop)
        device.connect(self.port)
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload="x", qos=0)
        device.assert_nothing(0.3)
        self.assertEqual(self.command(command_id)["status"], "queued")
        device.subscribe("devices/+/cmd", 0)
        self.assertEqual(device.get(TIMEOUT).payload, b"x")
        # QoS 0: done once sent.
        self.assertEqual(statuses(self.wait_status(command_id, "sent")), ["queued", "sent"])

    def test_a_persistent_session_takes_the_command_while_its_device_is_away(self):
        dev = self.client_id("dev")
        device = self.device(dev, "devices/%s/cmd" % dev, clean_session=False)
        device.disconnect()
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload="later", qos=1)
        self.wait_status(command_id, "sent")  # into the session's queue
        back = self.device(dev, "devices/%s/cmd" % dev, clean_session=False)
        self.assertEqual(back.get(TIMEOUT).payload, b"later")
        self.assertEqual(statuses(self.wait_status(command_id, "acked")), ["queued", "sent", "acked"])

    def test_expires_when_the_device_does_not_come_within_the_ttl(self):
        dev = self.client_id("dev")
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload="too late", ttl_s=1)
        expired = self.wait_status(command_id, "expired")
        self.assertEqual(statuses(expired), ["queued", "expired"])
        self.assertGreaterEqual(expired["history"][1]["ts"], expired["expires_at_ms"])
        self.assertEqual([name for name, _ in self.command_events(command_id)], ["command.expired"])
        device = self.device(dev, "devices/%s/cmd" % dev)
        device.assert_nothing(0.5)
        self.assertEqual(self.command(command_id)["status"], "expired")

    def test_cancel_a_queued_command(self):
        dev = self.client_id("dev")
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload="never")
        status, _, body = self.request("DELETE", "/api/v1/commands/" + command_id)
        self.assertEqual(status, 200, body)
        self.assertEqual(statuses(body), ["queued", "cancelled"])
        self.assert_error(self.request("DELETE", "/api/v1/commands/" + command_id), 409, "command_not_queued")
        self.assert_error(self.request("DELETE", "/api/v1/commands/nope"), 404, "command_not_found")
        device = self.device(dev, "devices/%s/cmd" % dev)
        device.assert_nothing(0.5)
        self.assertEqual(self.command(command_id)["status"], "cancelled")

    def test_a_sent_command_cannot_be_cancelled(self):
        dev = self.client_id("dev")
        self.device(dev, "devices/%s/cmd" % dev)
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload="go")
        self.wait_status(command_id, "acked")
        self.assert_error(self.request("DELETE", "/api/v1/commands/" + command_id), 409, "command_not_queued")

    def assert_stays_sent(self, command_id, device):
        """Nothing acknowledged: after a round trip on the device's connection (PINGREQ), the command stays
        `sent` for half a second, with no command.acked event."""
        device.send(packets.pingreq())
        device.expect(packets.PINGRESP, TIMEOUT)
        with self.assertRaises(AssertionError):
            test_rest.eventually(lambda: self.command(command_id)["status"] != "sent", "a change", timeout=0.5)
        self.assertNotIn("command.acked", [name for name, _ in self.command_events(command_id)])

    def command_to_silent_device(self, qos, payload):
        """A command to a byte-level device that acknowledges only when the test says so: (device, id, PUBLISH)."""
        dev = self.client_id("dev")
        device = silent_device(self.port, dev, "devices/%s/cmd" % dev, qos)
        self.addCleanup(device.close)
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload=payload, qos=qos)
        publish = device.expect(packets.PUBLISH, TIMEOUT)
        self.assertEqual((publish.payload, publish.qos), (payload.encode(), qos))
        return device, command_id, publish

    def test_acked_only_when_the_device_sends_its_puback(self):
        device, command_id, publish = self.command_to_silent_device(1, "hold")
        self.assert_stays_sent(command_id, device)
        device.send(packets.puback(publish.pid))
        self.assertEqual(statuses(self.wait_status(command_id, "acked")), ["queued", "sent", "acked"])

    def test_qos_2_is_acked_at_the_pubcomp_not_the_pubrec(self):
        device, command_id, publish = self.command_to_silent_device(2, "twice")
        device.send(packets.pubrec(publish.pid))
        self.assertEqual(device.expect(packets.PUBREL, TIMEOUT).pid, publish.pid)
        self.assert_stays_sent(command_id, device)
        device.send(packets.pubcomp(publish.pid))
        self.assertEqual(statuses(self.wait_status(command_id, "acked")), ["queued", "sent", "acked"])

    def test_another_subscribers_puback_does_not_ack_the_command(self):
        bystander = self.device(self.client_id("bystander"), "devices/+/cmd")  # paho: acknowledges at once
        device, command_id, publish = self.command_to_silent_device(1, "mine")
        self.assertEqual(bystander.get(TIMEOUT).payload, b"mine")
        self.assert_stays_sent(command_id, device)
        device.send(packets.puback(publish.pid))
        self.wait_status(command_id, "acked")

    def test_reply_is_stored_with_the_command(self):
        dev = self.client_id("dev")
        device = self.device(dev, "devices/%s/cmd/+" % dev)
        device.client.on_message = lambda c, u, m: c.publish(
            "devices/%s/res/%s" % (dev, m.topic.rsplit("/", 1)[-1]), b"done:" + m.payload, 1)
        command_id = self.queue(clientid=dev, topic="devices/{clientid}/cmd/{request_id}",
                                response_topic="devices/{clientid}/res/{request_id}", payload="open valve")
        replied = self.wait_status(command_id, "replied")
        self.assertEqual(replied["reply"]["topic"], "devices/%s/res/%s" % (dev, command_id))
        self.assertEqual((replied["reply"]["payload"], replied["reply"]["encoding"]), ("done:open valve", "plain"))
        self.assertEqual(statuses(replied)[0:2], ["queued", "sent"])
        self.assertEqual(statuses(replied)[-1], "replied")
        names = [name for name, _ in self.command_events(command_id)]
        self.assertEqual((names[0], names[-1]), ("command.sent", "command.replied"))
        # No reply subscription is left behind.
        stats = test_rest.eventually(lambda: (lambda s: s if s["internal_subscriptions"] == 0 else None)(
            self.get("/api/v1/stats")[2]), "no internal subscription")
        self.assertEqual(stats["internal_subscriptions"], 0)

    def test_payload_correlation_ignores_other_replies(self):
        dev = self.client_id("dev")
        device = self.device(dev, "devices/%s/cmd" % dev)

        def answer(client, userdata, message):
            rid = json.loads(message.payload)["rid"]
            client.publish("devices/%s/res" % dev, json.dumps({"rid": "someone-else"}), 1)
            client.publish("devices/%s/res" % dev, json.dumps({"rid": rid, "ok": True}), 1)
        device.client.on_message = answer
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, response_topic="devices/%s/res" % dev,
                                payload=json.dumps({"cmd": "on"}), correlation="payload:rid")
        replied = self.wait_status(command_id, "replied")
        self.assertEqual(json.loads(replied["reply"]["payload"]), {"rid": command_id, "ok": True})
        self.assertEqual(replied["correlation"], "payload:rid")

    def test_list_filters_and_pages(self):
        dev = self.client_id("dev")
        ids = [self.queue(clientid=dev, topic="devices/%s/cmd" % dev, payload=str(i)) for i in range(3)]
        other = self.queue(clientid=dev + "-other", topic="x/y")
        status, _, body = self.request("DELETE", "/api/v1/commands/" + ids[1])
        self.assertEqual(status, 200, body)
        status, _, body = self.get("/api/v1/commands?clientid=%s" % dev)
        self.assertEqual(status, 200, body)
        self.assertEqual([c["id"] for c in body["data"]], ids)
        self.assertEqual(body["meta"], {"page": 1, "limit": 100, "count": 3})
        status, _, body = self.get("/api/v1/commands?clientid=%s&status=queued&limit=1&page=2" % dev)
        self.assertEqual(status, 200, body)
        self.assertEqual([c["id"] for c in body["data"]], [ids[2]])
        self.assertEqual(body["meta"], {"page": 2, "limit": 1, "count": 2})
        status, _, body = self.get("/api/v1/commands?status=cancelled")
        self.assertIn(ids[1], [c["id"] for c in body["data"]])
        self.assertNotIn(other, [c["id"] for c in body["data"]])
        self.assert_error(self.get("/api/v1/commands?status=done"), 400, "invalid_status")

    def test_bad_commands_are_refused(self):
        self.assert_error(self.post({"topic": "a"}), 400, "invalid_clientid")
        self.assert_error(self.post({"clientid": "d", "topic": "a/#"}), 400, "invalid_topic")
        self.assert_error(self.post({"clientid": "d", "topic": "a", "ttl_s": 0}), 400, "invalid_ttl_s")
        self.assert_error(self.post({"clientid": "d", "topic": "a", "response_topic": "a"}), 400,
                          "invalid_response_topic")
        self.assert_error(self.post({"clientid": "d", "topic": "$SYS/a"}), 403, "forbidden_topic")
        self.assert_error(self.get("/api/v1/commands/unknown"), 404, "command_not_found")

    def test_command_events_reach_server_sent_events(self):
        dev = self.client_id("dev")
        command_id = self.queue(clientid=dev, topic="devices/%s/cmd" % dev, ttl_s=1)
        self.wait_status(command_id, "expired")
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        self.addCleanup(conn.close)
        conn.request("GET", "/api/v1/stream/sse?events=command.expired&last_event_id=0")
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        for _ in range(10000):  # replayed events, bounded
            line = response.readline().decode()
            self.assertTrue(line, "the stream ended")
            if line.startswith("data: ") and command_id in line:
                event = json.loads(line[len("data: "):])
                self.assertEqual((event["event"], event["id"], event["clientid"]), ("command.expired", command_id, dev))
                return
        self.fail("command.expired not streamed")


class CommandLimitsTest(CommandsTestCase):
    config = {"commands": {"max_pending": 2, "max_ttl_s": 60}}

    def test_limits(self):
        dev = self.client_id("dev")
        self.assert_error(self.post({"clientid": dev, "topic": "t", "ttl_s": 61}), 400, "invalid_ttl_s")
        first = self.queue(clientid=dev, topic="t")
        second = self.queue(clientid=dev, topic="t")
        self.assert_error(self.post({"clientid": dev, "topic": "t"}), 429, "too_many_commands")
        status, _, _ = self.request("DELETE", "/api/v1/commands/" + first)
        self.assertEqual(status, 200)
        third = self.queue(clientid=dev, topic="t")
        # Done commands are kept up to max_pending, the oldest forgotten first.
        for command_id in (second, third):
            status, _, _ = self.request("DELETE", "/api/v1/commands/" + command_id)
            self.assertEqual(status, 200)
        self.assert_error(self.get("/api/v1/commands/" + first), 404, "command_not_found")
        status, _, body = self.get("/api/v1/commands?clientid=" + dev)
        self.assertEqual([c["id"] for c in body["data"]], [second, third])


class CommandRestartTest(unittest.TestCase):
    """SIGTERM and a restart on the same data directory keep commands and their status."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mqgate-commands-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self):
        gw = Gateway(data_dir=self.dir + "/data")
        gw.start()
        self.addCleanup(gw.kill)
        return gw

    def call(self, gw, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", gw.ports["http"], timeout=TIMEOUT)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json"} if body is not None else {})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def wait_status(self, gw, command_id, wanted):
        return test_rest.eventually(
            lambda: (lambda c: c if c["status"] == wanted else None)(self.call(gw, "GET", "/api/v1/commands/" + command_id)[1]),
            "command %s" % wanted)

    def test_a_queued_command_survives_a_restart_and_is_delivered_after_it(self):
        gw = self.start()
        # One command done before the restart, with its reply.
        answered = PahoClient("answerer")
        self.addCleanup(answered.stop)
        answered.connect(gw.mqtt_port)
        answered.subscribe("devices/answerer/cmd", 1)
        answered.client.on_message = lambda c, u, m: c.publish("devices/answerer/res", b"ok", 1)
        status, body = self.call(gw, "POST", "/api/v1/commands",
                                 {"clientid": "answerer", "topic": "devices/answerer/cmd",
                                  "response_topic": "devices/answerer/res", "payload": "ping"})
        self.assertEqual(status, 202, body)
        replied_id = body["id"]
        self.wait_status(gw, replied_id, "replied")
        answered.stop()
        # One waiting for a device that is not there yet.
        status, body = self.call(gw, "POST", "/api/v1/commands",
                                 {"clientid": "late", "topic": "devices/{clientid}/cmd", "payload": "\u00e9t\u00e9",
                                  "qos": 1, "ttl_s": 120})
        self.assertEqual(status, 202, body)
        queued_id = body["id"]
        gw.stop()  # SIGTERM

        gw = self.start()
        status, body = self.call(gw, "GET", "/api/v1/commands/" + queued_id)
        self.assertEqual((status, body["status"], body["payload"]), (200, "queued", "\u00e9t\u00e9"), body)
        status, body = self.call(gw, "GET", "/api/v1/commands/" + replied_id)
        self.assertEqual((body["status"], body["reply"]["payload"]), ("replied", "ok"), body)
        device = PahoClient("late")
        self.addCleanup(device.stop)
        device.connect(gw.mqtt_port)
        device.subscribe("devices/late/cmd", 1)
        self.assertEqual(device.get(TIMEOUT).payload, "\u00e9t\u00e9".encode())
        acked = self.wait_status(gw, queued_id, "acked")
        self.assertEqual(statuses(acked), ["queued", "sent", "acked"])
        status, body = self.call(gw, "GET", "/api/v1/commands?status=acked")
        self.assertEqual([c["id"] for c in body["data"]], [queued_id])
        device.stop()
        gw.stop()

    def test_a_puback_after_a_restart_acks_the_command(self):
        gw = self.start()
        device = silent_device(gw.mqtt_port, "keeper", "devices/keeper/cmd", 1, clean=False)
        self.addCleanup(device.close)
        status, body = self.call(gw, "POST", "/api/v1/commands",
                                 {"clientid": "keeper", "topic": "devices/keeper/cmd", "payload": "across", "qos": 1})
        self.assertEqual(status, 202, body)
        command_id = body["id"]
        first = device.expect(packets.PUBLISH, TIMEOUT)  # not acknowledged
        self.wait_status(gw, command_id, "sent")
        gw.stop()  # SIGTERM: the session keeps the message in flight
        device.close()

        gw = self.start()
        self.assertEqual(self.call(gw, "GET", "/api/v1/commands/" + command_id)[1]["status"], "sent")
        device = RawClient(gw.mqtt_port, timeout=TIMEOUT)
        self.addCleanup(device.close)
        self.assertEqual(device.connect("keeper", clean=False), (True, 0))
        again = device.expect(packets.PUBLISH, TIMEOUT)
        self.assertEqual((again.pid, again.dup, again.payload), (first.pid, True, b"across"))
        device.send(packets.puback(again.pid))
        self.assertEqual(statuses(self.wait_status(gw, command_id, "acked")), ["queued", "sent", "acked"])
        device.close()
        gw.stop()

    def test_an_accepted_command_survives_kill_9(self):
        gw = self.start()
        status, body = self.call(gw, "POST", "/api/v1/commands",
                                 {"clientid": "k9", "topic": "devices/k9/cmd", "payload": "after the crash"})
        self.assertEqual(status, 202, body)
        gw.kill()  # SIGKILL: the 202 came after the commit

        gw = self.start()
        status, body = self.call(gw, "GET", "/api/v1/commands/" + body["id"])
        self.assertEqual((status, body["status"]), (200, "queued"), body)
        device = PahoClient("k9")
        self.addCleanup(device.stop)
        device.connect(gw.mqtt_port)
        device.subscribe("devices/k9/cmd", 1)
        self.assertEqual(device.get(TIMEOUT).payload, b"after the crash")
        device.stop()
        gw.stop()


if __name__ == "__main__":
    unittest.main()
