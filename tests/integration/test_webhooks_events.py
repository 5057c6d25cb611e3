"""Every webhook event type the other webhook tests do not cover reaches a
receiver with its fields (README "Webhooks"): will.published,
session.unsubscribed, client.kicked and the command.* events, caused by real
peers (paho, mosquitto_pub, curl)."""

import json
import subprocess
import unittest

from mosquitto_cli import mosquitto_pub
from pahoclient import PahoClient
from rawclient import RawClient
from webhook_receiver import WebhookTestCase, webhook_config

EVERY_EVENT = ["client.connected", "client.disconnected", "will.published", "session.subscribed",
               "session.unsubscribed", "client.kicked", "command.sent", "command.acked", "command.replied",
               "command.expired"]


def curl(*args):
    """(status, JSON body or None) of a curl request."""
    done = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"] + list(args),
                          capture_output=True, text=True, timeout=20)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body else None)


class WebhookEventsTest(WebhookTestCase):
    def setUp(self):
        super().setUp()
        self.rx = self.receiver()
        self.gw = self.start(webhook_config(self.rx.port, events=EVERY_EVENT))
        self.api = "http://127.0.0.1:%d/api/v1" % self.gw.ports["http"]

    def paho(self, client_id, **kwargs):
        client = PahoClient(client_id, kwargs.pop("clean_session", True))
        self.addCleanup(client.stop)
        client.connect(self.gw.mqtt_port, **kwargs)
        return client

    def arrived(self, name, **fields):
        """The first event `name` whose fields include `fields`, once it arrived."""
        def find(r):
            for e in r.events():
                if e["event"] == name and all(e.get(k) == v for k, v in fields.items()):
                    return e
            return None
        self.assertTrue(self.rx.wait(lambda r: find(r) is not None), [e["event"] for e in self.rx.events()])
        event = find(self.rx)
        self.assertIsInstance(event["seq"], int)
        self.assertIsInstance(event["ts"], int)
        self.assertTrue(event["time"].endswith("Z"))
        return event

    def test_will_published_when_a_client_goes_without_disconnect(self):
        with RawClient(self.gw.mqtt_port) as c:
            c.connect("will-1", will=("wills/will-1", b"gone", 1, True))
        # The socket closed without DISCONNECT: the will is published.
        event = self.arrived("will.published", clientid="will-1")
        self.assertEqual((event["topic"], event["payload"], event["qos"], event["retain"]),
                         ("wills/will-1", "gone", 1, True))
        self.assertEqual(event["encoding"], "plain")
        self.arrived("client.disconnected", clientid="will-1")
        self.gw.stop()

    def test_session_unsubscribed_names_the_filter(self):
        client = self.paho("unsub-1")
        client.subscribe("u/+/temp", 1)
        client.unsubscribe("u/+/temp")
        event = self.arrived("session.unsubscribed", clientid="unsub-1")
        self.assertEqual(event["topic"], "u/+/temp")
        subscribed = self.arrived("session.subscribed", clientid="unsub-1")
        self.assertEqual((subscribed["topic"], subscribed["qos"]), ("u/+/temp", 1))
        self.assertLess(subscribed["seq"], event["seq"])
        self.gw.stop()

    def test_client_kicked_through_the_rest_api(self):
        client = self.paho("kick-1", will=("wills/kick-1", "kicked", 0, False))
        status, _ = curl("-X", "DELETE", self.api + "/clients/kick-1")
        self.assertEqual(status, 204)
        self.assertTrue(client.disconnected.wait(10))
        event = self.arrived("client.kicked", clientid="kick-1")
        self.assertEqual((event["proto_name"], event["proto_ver"], event["protocol"]), ("MQTT", 4, "mqtt"))
        self.assertEqual(event["ipaddress"], "127.0.0.1")
        # A kicked client's will is published (README "REST API").
        self.arrived("will.published", clientid="kick-1", topic="wills/kick-1")
        self.gw.stop()

    def queue_command(self, **body):
        status, answer = curl("-X", "POST", "-H", "Content-Type: application/json", "-d", json.dumps(body),
                              self.api + "/commands")
        self.assertEqual(status, 202, answer)
        return answer["id"]

    def test_command_sent_and_acked_when_the_offline_device_comes(self):
        command_id = self.queue_command(clientid="dev-1", topic="devices/dev-1/cmd", payload="reboot", qos=1, ttl_s=60)
        device = self.paho("dev-1")
        device.subscribe("devices/dev-1/cmd", 1)  # paho acknowledges at once
        self.assertEqual(device.get(10).payload, b"reboot")
        sent = self.arrived("command.sent", id=command_id)
        acked = self.arrived("command.acked", id=command_id)
        for event in (sent, acked):
            self.assertEqual((event["clientid"], event["topic"], event["qos"]), ("dev-1", "devices/dev-1/cmd", 1))
        self.assertLess(sent["seq"], acked["seq"])
        self.gw.stop()

    def test_command_replied_when_the_device_answers(self):
        command_id = self.queue_command(clientid="dev-2", topic="devices/dev-2/cmd/{request_id}",
                                        response_topic="devices/dev-2/res/{request_id}", payload="open", qos=1)
        device = self.paho("dev-2")
        device.subscribe("devices/dev-2/cmd/+", 1)
        self.assertEqual(device.get(10).payload, b"open")
        mosquitto_pub(self.gw.mqtt_port, "devices/dev-2/res/" + command_id, "done", qos=1)
        event = self.arrived("command.replied", id=command_id)
        self.assertEqual((event["clientid"], event["topic"], event["qos"]),
                         ("dev-2", "devices/dev-2/cmd/" + command_id, 1))
        self.gw.stop()

    def test_command_expired_when_the_device_never_comes(self):
        command_id = self.queue_command(clientid="dev-3", topic="devices/dev-3/cmd", payload="late", qos=1, ttl_s=1)
        event = self.arrived("command.expired", id=command_id)
        self.assertEqual((event["clientid"], event["topic"], event["qos"]), ("dev-3", "devices/dev-3/cmd", 1))
        self.gw.stop()


if __name__ == "__main__":
    unittest.main()
