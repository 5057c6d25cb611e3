#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/ from the tests' own byte
tables (tests/integration/packets.py, test_malformed.py) and the shipped
config; run from the repository root. The committed corpora were made with it
and then minimized (see README, "Fuzzing"); reproducers of fixed findings are
added by hand next to them."""

import base64
import hashlib
import os
import struct
import sys

sys.path.insert(0, "tests/integration")
import packets as p  # noqa: E402
import test_malformed as m  # noqa: E402

OUT = "tests/fuzz/corpus"


def write(target, name, data):
    os.makedirs(f"{OUT}/{target}", exist_ok=True)
    with open(f"{OUT}/{target}/{name}", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# mqtt_codec_fuzz: the stream first, then the limit byte and the 4-byte split
# seed (FuzzedDataProvider takes integers from the end).
session = (p.connect("c1", will=("w", b"bye", 1, True), username="u", password=b"pw") +
           p.subscribe(1, [("a/+", 1), ("b/#", 2)]) + p.publish("a/b", b"x", 0) +
           p.publish("a/b", b"y" * 200, 1, pid=2) + p.publish("a/b", b"z", 2, retain=True, pid=3) +
           p.puback(2) + p.pubrec(3) + p.pubrel(3) + p.pubcomp(3) + p.unsubscribe(4, ["a/+"]) +
           p.pingreq() + p.disconnect())
write("mqtt_codec_fuzz", "session", session + b"\xff\x01\x02\x03\x04")
write("mqtt_codec_fuzz", "server_bound", b"\x20\x02\x01\x00\x90\x04\x00\x01\x00\x80\xb0\x02\x00\x01\xd0\x00"
      + b"\xff\x05\x06\x07\x08")
for table in (m.CONNECT_CASES, m.SESSION_CASES):
    for name, (_, data) in table.items():
        write("mqtt_codec_fuzz", name, data + b"\xff\x11\x22\x33\x44")

# topic_fuzz: validation strings (first byte odd), and tree runs.
for i, s in enumerate([b"\x01sport/tennis/+/#", b"\x01$SYS/broker/#", b"\x01a//b", b"\x01\xc3\x28/bad"]):
    write("topic_fuzz", f"valid{i}", s)
write("topic_fuzz", "tree", bytes(range(256)))

# broker_fuzz: step choices come from the input's end; a few spread patterns.
for i in range(4):
    write("broker_fuzz", f"steps{i}", bytes((j * (i + 7) * 37) & 0xFF for j in range(512)))

# http_fuzz: byte 0 bit 0 = authentication on, bit 1 = CORS origins set.
def req(method, target, body=b"", headers=()):
    h = [f"{method} {target} HTTP/1.1", "Host: localhost", *headers]
    if body:
        h += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body

http_cases = {
    "publish": req("POST", "/api/v1/publish", b'{"topic":"a/b","payload":"aGk=","encoding":"base64","qos":1,"retain":true}'),
    "bulk": req("POST", "/api/v1/publish/bulk", b'[{"topic":"a/b","payload":"x"},{"topic":"a/+","qos":3}]'),
    "clients": req("GET", "/api/v1/clients?page=1&limit=2&connected=true&clientid=de&username=u"),
    "client": req("GET", "/api/v1/clients/dev1") + req("DELETE", "/api/v1/clients/dev1"),
    "subs": req("GET", "/api/v1/clients/dev1/subscriptions") + req("GET", "/api/v1/subscriptions?clientid=dev1&topic=a%2F%23"),
    "retained": req("GET", "/api/v1/retained?filter=a/%23") + req("GET", "/api/v1/retained/a/b") + req("DELETE", "/api/v1/retained/a/b"),
    "events": req("GET", "/api/v1/events?since=0&limit=5"),
    "status": req("GET", "/api/v1/stats") + req("GET", "/metrics") + req("GET", "/healthz") + req("HEAD", "/readyz"),
    "openapi": req("GET", "/api/v1/openapi.json"),
    "static": req("GET", "/", headers=["If-None-Match: \"x\""]) + req("GET", "/app.js"),
    "cors": req("OPTIONS", "/api/v1/publish", headers=["Origin: https://ok.example",
                                                       "Access-Control-Request-Method: POST"]),
    "chunked": b"POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
               b"b\r\n{\"topic\":\"a\r\n9\r\n\",\"qos\":0}\r\n0\r\n\r\n",
}
for name, data in http_cases.items():
    write("http_fuzz", name, b"\x00" + data)
basic = base64.b64encode(b"alice:pw").decode()
write("http_fuzz", "auth_token", b"\x03" + req("DELETE", "/api/v1/retained/a/b", headers=["Authorization: Bearer admin-token",
                                                                                      "Origin: https://ok.example"]))
write("http_fuzz", "auth_basic", b"\x01" + req("POST", "/api/v1/publish", b'{"topic":"x/y","payload":"p"}',
                                               headers=[f"Authorization: Basic {basic}"]))
write("http_fuzz", "auth_query", b"\x01" + req("GET", "/api/v1/stats?access_token=read-token"))

# stream_fuzz: the mode is the last byte (0 JSON ops, 1 raw frames, 2/3 built frames).
ops = "\n".join([
    '{"op":"subscribe","filter":"a/#","qos":1,"id":1}', '{"op":"subscribe","filter":"x/#","id":"s"}',
    '{"op":"publish","topic":"a/b","payload":"aGk=","encoding":"base64","qos":2,"retain":true,"id":2}',
    '{"op":"events","types":["client.connected","client.kicked"],"since":0,"id":3}',
    '{"op":"unsubscribe","filter":"a/#","id":4}', '{"op":"ping","id":null}', '[1]', '{"op":7}', '{',
])
write("stream_fuzz", "ops", ops.encode() + b"\x00")


def frame(opcode, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


conn = p.connect("ws1") + p.subscribe(1, [("a/#", 2)])
write("stream_fuzz", "mqtt_frames", frame(2, conn[:7], fin=False) + frame(0, conn[7:]) + frame(9, b"hi") +
      frame(2, p.publish("a/b", b"x", 1, pid=1) + p.pingreq()) + frame(8, b"\x03\xe8") + b"\x01")
write("stream_fuzz", "mqtt_text", frame(1, b"{}") + b"\x01")
write("stream_fuzz", "built", bytes(range(64)) + b"\x02")
write("stream_fuzz", "built_json", ops.encode()[:120] + b"\x12\x03")

# config_fuzz: byte 0 % 4 = config JSON, password file, ACL, token file.
write("config_fuzz", "default", b"\x00" + open("config/default.json", "rb").read())
salt = b"0123456789abcdef"
digest = hashlib.pbkdf2_hmac("sha512", b"pw", salt, 1000)
line = f"alice:$pbkdf2-sha512$1000${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}\n"
write("config_fuzz", "passwd", b"\x01# users\n" + line.encode() + b"\nbob:" + line.split(":", 1)[1].encode())
write("config_fuzz", "acl", b"\x02topic read sensors/#\nuser alice\ntopic readwrite home/alice/#\n"
      b"topic cmd/+/set\npattern write devices/%c/state\n\x00a/#\na/+/c\na/b/c")
write("config_fuzz", "tokens", b"\x03# name role sha256\nops admin " + hashlib.sha256(b"t").hexdigest().encode() + b"\n")
