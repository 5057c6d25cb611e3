"""SIGTERM with clients attached: a clean exit 0 that closes every connection."""

import unittest

import packets
from harness import Gateway
from pahoclient import PahoClient
from rawclient import RawClient


class ShutdownTest(unittest.TestCase):
    def test_sigterm_with_busy_clients_exits_0_and_closes_them(self):
        gateway = Gateway()
        gateway.start()
        self.addCleanup(gateway.kill)
        port = gateway.mqtt_port

        subscriber = RawClient(port)
        self.addCleanup(subscriber.close)
        subscriber.connect("shutdown-sub", clean=False, will=("shutdown/will", b"w", 1, False))
        self.assertEqual(subscriber.subscribe(1, [("shutdown/acked", 2)]), [2])
        # Leave flows half done in both directions.
        publisher = RawClient(port)
        self.addCleanup(publisher.close)
        publisher.connect("shutdown-pub")
        publisher.send(packets.publish("shutdown/unreleased", b"half done", qos=2, pid=3))
        self.assertEqual(publisher.recv_packet().raw, b"\x50\x02\x00\x03")
        publisher.send(packets.publish("shutdown/acked", b"unacked", qos=1, pid=4))
        self.assertEqual(publisher.recv_packet().raw, b"\x40\x02\x00\x04")
        self.assertEqual(subscriber.expect(packets.PUBLISH).payload, b"unacked")
        paho = PahoClient("shutdown-paho", clean_session=False)
        self.addCleanup(paho.stop)
        paho.connect(port)
        paho.subscribe("shutdown/#", 1)
        silent = RawClient(port)  # connected but no CONNECT yet
        self.addCleanup(silent.close)

        gateway.stop()  # asserts exit 0 within the bound and no sanitizer report

        for name, client in (("subscriber", subscriber), ("publisher", publisher),
                             ("before CONNECT", silent)):
            self.assertTrue(client.expect_closed(2.0), "%s connection left open" % name)
        self.assertTrue(paho.disconnected.wait(5.0), "paho did not see its connection end")
        self.assertNotEqual(paho.disconnect_rc, 0, "the server closed it, paho did not")

    def test_sigterm_right_after_start_exits_0(self):
        gateway = Gateway()
        gateway.start()
        self.addCleanup(gateway.kill)
        gateway.stop()


if __name__ == "__main__":
    unittest.main()
