"""Keepalive: PINGREQ/PINGRESP and the 1.5 x keepalive idle limit."""

import time
import unittest

import packets
from harness import GatewayTestCase


class KeepaliveTest(GatewayTestCase):
    def test_pingreq_answered_with_pingresp(self):
        client = self.raw_connected()
        client.send(packets.pingreq())
        self.assertEqual(client.recv_packet().raw, b"\xd0\x00")

    def test_client_pinging_every_half_second_stays_connected(self):
        client = self.raw_connected(keepalive=1)
        start = time.monotonic()
        for tick in range(1, 7):
            client.send(packets.pingreq())
            self.assertEqual(client.recv_packet(timeout=1.0).raw, b"\xd0\x00")
            # Waits on the socket until the next ping is due: a close shows at once.
            until_next = start + 0.5 * tick - time.monotonic()
            self.assertFalse(client.expect_closed(max(0.0, until_next)),
                             "closed after %.1f s despite pings" % (time.monotonic() - start))
        self.assertGreaterEqual(time.monotonic() - start, 3.0)
        self.assertEqual(client.discarded, [])

    def test_client_publishing_without_pings_stays_connected(self):
        # Any control packet counts as activity, not only PINGREQ.
        client = self.raw_connected(keepalive=1)
        start = time.monotonic()
        for tick in range(1, 7):
            client.send(packets.publish(self.topic(), b"tick", qos=1, pid=tick))
            self.assertEqual(client.recv_packet(timeout=1.0).raw, packets.puback(tick))
            until_next = start + 0.5 * tick - time.monotonic()
            self.assertFalse(client.expect_closed(max(0.0, until_next)),
                             "closed after %.1f s despite traffic" % (time.monotonic() - start))

    def test_silent_client_closed_after_one_and_a_half_keepalives(self):
        client = self.raw_connected(keepalive=2)
        start = time.monotonic()
        self.assertFalse(client.expect_closed(1.9), "closed before the keepalive ran out")
        self.assertClosed(client, timeout=5.0 - (time.monotonic() - start))
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, 2.0)
        self.assertEqual(client.discarded, [])

    def test_keepalive_0_disables_the_idle_limit(self):
        client = self.raw_connected(keepalive=0)
        self.assertFalse(client.expect_closed(2.0), "closed although keepalive is 0")
        client.send(packets.pingreq())
        self.assertEqual(client.recv_packet().raw, b"\xd0\x00")


if __name__ == "__main__":
    unittest.main()
