"""MQTT 3.1.1 packets built and parsed by hand.

The builders take raw bytes where a test needs to send something a real
client library would refuse to produce (bad UTF-8, wrong flags, ...).
"""

import struct

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

TYPE_NAMES = {
    CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
    PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBACK: "UNSUBACK",
    PINGREQ: "PINGREQ", PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT",
}


def to_bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def varint(n):
    """Remaining Length encoding (§2.2.3)."""
    out = bytearray()
    while True:
        digit = n % 128
        n //= 128
        if n:
            digit |= 0x80
        out.append(digit)
        if not n:
            return bytes(out)


def string(value):
    """A length-prefixed field; `value` may be str or raw bytes."""
    data = to_bytes(value)
    return struct.pack("!H", len(data)) + data


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def connect(client_id, clean=True, keepalive=60, will=None, username=None, password=None,
            proto_name="MQTT", level=4, flags=None):
    """`will` is (topic, payload, qos, retain). `flags` overrides the computed
    connect-flags byte while the payload stays as given."""
    computed = 0x02 if clean else 0
    payload = string(client_id)
    if will is not None:
        topic, message, qos, retain = will
        computed |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += string(topic) + string(message)
    if username is not None:
        computed |= 0x80
        payload += string(username)
    if password is not None:
        computed |= 0x40
        payload += string(password)
    variable = string(proto_name) + bytes([level, computed if flags is None else flags])
    variable += struct.pack("!H", keepalive)
    return packet(0x10, variable + payload)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, pid=None):
    first = 0x30 | (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = string(topic)
    if qos > 0:
        body += struct.pack("!H", 1 if pid is None else pid)
    return packet(first, body + to_bytes(payload))


def ack(packet_type, pid):
    first = (packet_type << 4) | (0x02 if packet_type == PUBREL else 0)
    return packet(first, struct.pack("!H", pid))


def puback(pid):
    return ack(PUBACK, pid)


def pubrec(pid):
    return ack(PUBREC, pid)


def pubrel(pid):
    return ack(PUBREL, pid)


def pubcomp(pid):
    return ack(PUBCOMP, pid)


def subscribe(pid, filters):
    """`filters`: list of (filter, options byte)."""
    body = struct.pack("!H", pid)
    for topic_filter, options in filters:
        body += string(topic_filter) + bytes([options])
    return packet(0x82, body)


def unsubscribe(pid, filters):
    body = struct.pack("!H", pid)
    for topic_filter in filters:
        body += string(topic_filter)
    return packet(0xA2, body)


def pingreq():
    return b"\xc0\x00"


def disconnect():
    return b"\xe0\x00"


class Packet:
    """One decoded packet: type, flags and body; PUBLISH fields on demand."""

    def __init__(self, first_byte, body):
        self.type = first_byte >> 4
        self.flags = first_byte & 0x0F
        self.body = body
        self.raw = bytes([first_byte]) + varint(len(body)) + body

    def __repr__(self):
        return "<%s flags=%x body=%r>" % (TYPE_NAMES.get(self.type, self.type), self.flags,
                                          self.body[:64])

    @property
    def qos(self):
        return (self.flags >> 1) & 0x03

    @property
    def dup(self):
        return bool(self.flags & 0x08)

    @property
    def retain(self):
        return bool(self.flags & 0x01)

    def _topic_len(self):
        return struct.unpack("!H", self.body[:2])[0]

    @property
    def topic(self):
        """PUBLISH topic as raw bytes (no decoding, so nothing is normalised)."""
        return self.body[2:2 + self._topic_len()]

    @property
    def pid(self):
        if self.type == PUBLISH:
            if self.qos == 0:
                return None
            start = 2 + self._topic_len()
            return struct.unpack("!H", self.body[start:start + 2])[0]
        return struct.unpack("!H", self.body[:2])[0]

    @property
    def payload(self):
        start = 2 + self._topic_len() + (2 if self.qos else 0)
        return self.body[start:]


def split_packet(buffer):
    """Returns (Packet, rest) when `buffer` starts with a whole packet, else
    (None, buffer)."""
    if len(buffer) < 2:
        return None, buffer
    length, multiplier, pos = 0, 1, 1
    while True:
        if pos >= len(buffer):
            return None, buffer
        digit = buffer[pos]
        length += (digit & 0x7F) * multiplier
        multiplier *= 128
        pos += 1
        if not digit & 0x80:
            break
        if pos > 4:
            raise ValueError("server sent a remaining length of more than 4 bytes")
    if len(buffer) < pos + length:
        return None, buffer
    return Packet(buffer[0], bytes(buffer[pos:pos + length])), buffer[pos + length:]
