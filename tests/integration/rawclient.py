"""A byte-level MQTT client: sends exactly what a test gives it and reads
packets with deadlines, so tests can check the server's exact reaction."""

import errno
import select
import socket
import time

import packets


class ConnectionClosed(Exception):
    pass


class RawClient:
    def __init__(self, port, timeout=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Before connect(): the window the server may fill is set then.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.closed = False
        # Packets read (and dropped) while waiting for the server to close.
        self.discarded = []

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads once; returns False on timeout, raises ConnectionClosed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            return False
        try:
            chunk = self.sock.recv(65536)
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
                chunk = b""
            else:
                raise
        if not chunk:
            self.closed = True
            raise ConnectionClosed()
        self.buffer += chunk
        return True

    def recv_packet(self, timeout=5.0):
        """The next packet; TimeoutError if none within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            pkt, self.buffer = packets.split_packet(self.buffer)
            if pkt is not None:
                return pkt
            if not self._fill(deadline):
                raise TimeoutError("no packet from the server within %.1f s" % timeout)

    def expect(self, packet_type, timeout=5.0):
        pkt = self.recv_packet(timeout)
        if pkt.type != packet_type:
            raise AssertionError("expected %s, got %r" % (packets.TYPE_NAMES[packet_type], pkt))
        return pkt

    def expect_closed(self, timeout=5.0):
        """True when the server closes the connection within `timeout`;
        anything received meanwhile goes to self.discarded."""
        deadline = time.monotonic() + timeout
        # Bounded by the deadline: each round either reads or times out.
        while True:
            try:
                while True:
                    pkt, self.buffer = packets.split_packet(self.buffer)
                    if pkt is None:
                        break
                    self.discarded.append(pkt)
                if not self._fill(deadline):
                    return False
            except ConnectionClosed:
                return True

    def connect(self, client_id, timeout=5.0, **kwargs):
        """Sends CONNECT, returns (session_present, return_code)."""
        self.send(packets.connect(client_id, **kwargs))
        connack = self.expect(packets.CONNACK, timeout)
        if len(connack.body) != 2:
            raise AssertionError("CONNACK with remaining length %d" % len(connack.body))
        return bool(connack.body[0] & 0x01), connack.body[1]

    def subscribe(self, pid, filters, timeout=5.0):
        """`filters`: list of (filter, qos); returns the granted return codes."""
        self.send(packets.subscribe(pid, filters))
        suback = self.expect(packets.SUBACK, timeout)
        if suback.pid != pid:
            raise AssertionError("SUBACK for packet id %d, expected %d" % (suback.pid, pid))
        return list(suback.body[2:])
