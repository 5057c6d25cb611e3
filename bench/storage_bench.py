#!/usr/bin/python3
"""What storage costs and keeps, mqgate (SQLite store, sync full) against
Mosquitto with `persistence true` (autosave settings at their defaults):

- start-up: populate N retained messages (mqgate-bench retained, QoS 1,
  distinct topics) and M persistent sessions (clean session 0, one
  subscription each), stop with SIGTERM, then time from exec to mqgate's
  `ready` line / Mosquitto's "Opening ipv4 listen socket" log line
  (median of --restarts), checking the state came back (the broker's
  retained count, session present for 20 of the sessions);
- kill -9 loop: a QoS 1 publisher numbering its messages and counting
  PUBACKs, a persistent subscriber (resubscribing on every connect, as a
  client that cannot rely on the broker would), the broker killed with
  SIGKILL after a random 0.2-1 s of traffic and restarted on the same port
  and data, --cycles times; then the acknowledged numbers never delivered.

Usage: bench/storage_bench.py --mqgate PATH --bench PATH [--retained 100000]
       [--sessions 10000] [--restarts 3] [--cycles 10] [--seed 1] [--out DIR]
Prints one JSON line per broker and part. Needs python3-paho-mqtt (Debian).
"""
import argparse
import concurrent.futures
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

WAIT = 30.0  # bound on every wait for a broker or a client


def wait_for(predicate, timeout=WAIT, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One broker on a fixed port and data directory, restartable."""

    def __init__(self, kind, mqgate, data_dir, port):
        self.kind, self.mqgate, self.data_dir, self.port = kind, mqgate, data_dir, port
        self.proc = None
        self.log = os.path.join(data_dir, "broker.log")
        if kind == "mosquitto":
            self.conf = os.path.join(data_dir, "mosquitto.conf")
            with open(self.conf, "w") as f:
                # autosave_interval / autosave_on_changes left at their defaults.
                f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                        f"persistence_location {data_dir}/\nmax_inflight_messages 20\n"
                        "max_queued_messages 1000\nlog_dest stderr\nlog_type error\nlog_type warning\n"
                        "log_type information\n")
            os.chmod(data_dir, 0o777)  # Mosquitto started as root writes as user mosquitto

    def start(self):
        """Starts the broker; returns seconds from exec to its listening line."""
        log = open(self.log, "a")
        begin = time.monotonic()
        if self.kind == "mqgate":
            self.proc = subprocess.Popen(
                [self.mqgate, "--bind", "127.0.0.1", "--mqtt-port", str(self.port), "--http-port", "0",
                 "--threads", "1", "--data-dir", self.data_dir, "--log-level", "warn"],
                stdout=subprocess.PIPE, stderr=log, text=True)
            marker, stream = "ready", self.proc.stdout
        else:
            self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=log,
                                         stderr=subprocess.PIPE, text=True)
            marker, stream = "Opening ipv4 listen socket", self.proc.stderr
        found = threading.Event()
        at = []

        def watch():  # keeps draining the pipe so the broker never blocks on it
            for line in stream:
                if not found.is_set() and marker in line:
                    at.append(time.monotonic())
                    found.set()
                log.write(line)
                log.flush()
        threading.Thread(target=watch, daemon=True).start()
        if not found.wait(WAIT):
            raise RuntimeError(f"{self.kind} did not start (see {self.log})")
        return at[0] - begin

    def stop(self, sig=signal.SIGTERM):
        # Sent again each second: Mosquitto drops a SIGTERM that lands just
        # after it opened its listeners, before its main loop.
        for _ in range(int(WAIT)):
            self.proc.send_signal(sig)
            try:
                self.proc.wait(1)
                return
            except subprocess.TimeoutExpired:
                continue
        self.proc.kill()
        raise RuntimeError(f"{self.kind} did not stop on signal {sig}")


def mqtt_string(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(first, body):
    n, length = len(body), b""
    while True:
        byte, n = n % 128, n // 128
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + length + body


def make_session(port, n):
    """A persistent session with one QoS 1 subscription, left disconnected."""
    connect = packet(0x10, mqtt_string("MQTT") + bytes([4, 0x00]) + struct.pack("!H", 0)
                     + mqtt_string(f"sb-session-{n}"))
    subscribe = packet(0x82, struct.pack("!H", 1) + mqtt_string(f"sb/session/{n}") + bytes([1]))
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(connect + subscribe)
        got = b""
        while len(got) < 9:  # CONNACK (4) + SUBACK (5)
            chunk = s.recv(64)
            if not chunk:
                raise RuntimeError("connection closed before SUBACK")
            got += chunk
        s.sendall(b"\xe0\x00")


def session_present(port, n):
    connect = packet(0x10, mqtt_string("MQTT") + bytes([4, 0x00]) + struct.pack("!H", 0)
                     + mqtt_string(f"sb-session-{n}"))
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as s:
        s.sendall(connect)
        ack = s.recv(4)
        s.sendall(b"\xe0\x00")
        return len(ack) == 4 and ack[2] == 1


def retained_count(port):
    """The broker's own count of retained messages ($SYS/broker/retained
    messages/count in both brokers; Mosquitto's includes its $SYS topics, and
    mqgate publishes it sys_interval, 10 s, after start). A subscriber to
    'ret/#' cannot count 100k: at QoS 1 the in-flight window and queue cap
    it at 1,020, at QoS 0 mqgate drops what overflows its outbound buffer."""
    got = []
    c = mqtt.Client(client_id="sb-count", clean_session=True)
    c.on_connect = lambda cl, u, f, rc: cl.subscribe("$SYS/broker/retained messages/count", 0)
    c.on_message = lambda cl, u, m: got.append(int(m.payload))
    c.connect("127.0.0.1", port)
    c.loop_start()
    wait_for(lambda: got)
    c.disconnect()
    c.loop_stop()
    return got[0] if got else None


def startup(kind, a, root):
    data = tempfile.mkdtemp(prefix=f"{kind}-startup-", dir=root)
    b = Broker(kind, a.mqgate, data, free_port())
    b.start()
    t0 = time.monotonic()
    out = subprocess.run([a.bench, "retained", "--port", str(b.port), "--messages", str(a.retained),
                          "--settle", "0.2"], capture_output=True, text=True, check=True)
    retained_rate = json.loads(out.stdout).get("rate")
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda n: make_session(b.port, n), range(a.sessions)))
    populate_s = time.monotonic() - t0
    b.stop()
    times = []
    for _ in range(a.restarts):
        times.append(b.start())
        b.stop()
    b.start()
    present = sum(session_present(b.port, n) for n in random.Random(a.seed).sample(range(a.sessions), 20))
    retained = retained_count(b.port)
    b.stop()
    return {"part": "startup", "broker": kind, "retained": a.retained, "sessions": a.sessions,
            "populate_s": round(populate_s, 2), "retained_populate_rate": retained_rate,
            "startup_s": [round(t, 3) for t in times], "startup_median_s": round(statistics.median(times), 3),
            "file_bytes": sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)
                              if f.endswith((".db", ".db-wal"))),
            "retained_after_restart": retained, "sessions_present_of_20": present}


def kill_loop(kind, a, root):
    data = tempfile.mkdtemp(prefix=f"{kind}-kill-", dir=root)
    b = Broker(kind, a.mqgate, data, free_port())
    b.start()
    rnd = random.Random(a.seed)
    lock = threading.Condition()
    delivered, acked, pending, early = set(), set(), {}, set()
    duplicates = [0]

    def on_message(c, u, m):
        n = int(m.payload)
        with lock:
            if n in delivered:
                duplicates[0] += 1
            delivered.add(n)

    sub = mqtt.Client(client_id="sb-kill-sub", clean_session=False)
    sub.on_connect = lambda c, u, f, rc: c.subscribe("sb/kill", 1) if rc == 0 else None
    sub.on_message = on_message
    sub.reconnect_delay_set(0.05, 0.2)
    sub.connect("127.0.0.1", b.port)
    sub.loop_start()

    def on_publish(c, u, mid):
        with lock:
            if mid in pending:
                acked.add(pending.pop(mid))
            else:  # acknowledged before publish() returned its mid
                early.add(mid)
            lock.notify_all()

    pub = mqtt.Client(client_id="sb-kill-pub", clean_session=False)
    pub.max_inflight_messages_set(20)
    pub.on_publish = on_publish
    pub.reconnect_delay_set(0.05, 0.2)
    pub.connect("127.0.0.1", b.port)
    pub.loop_start()
    wait_for(lambda: sub.is_connected() and pub.is_connected())
    running = threading.Event()
    running.set()

    # paho calls on_publish holding its own lock: publish() is called
    # outside ours, so the two are never taken in opposite orders.
    def publish():
        n = 0
        while running.is_set():
            with lock:
                if len(pending) >= 100:  # bounded: at most 100 unacknowledged numbers
                    lock.wait(0.1)
                    continue
            n += 1
            mid = pub.publish("sb/kill", str(n), qos=1).mid
            with lock:
                if mid in early:
                    early.discard(mid)
                    acked.add(n)
                else:
                    pending[mid] = n
    sender = threading.Thread(target=publish)
    sender.start()
    for _ in range(a.cycles):
        wait_for(lambda: False, timeout=rnd.uniform(0.2, 1.0))  # traffic, then the kill lands anywhere
        b.stop(signal.SIGKILL)
        b.start()
        wait_for(lambda: sub.is_connected() and pub.is_connected())
    wait_for(lambda: False, timeout=0.5)
    running.clear()
    sender.join()
    last = [-1, time.monotonic()]

    def settled():
        with lock:
            if acked <= delivered and not pending:
                return True
            if len(delivered) != last[0]:
                last[:] = [len(delivered), time.monotonic()]
        return time.monotonic() - last[1] > 5
    wait_for(settled, timeout=60)
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
    b.stop()
    with lock:
        lost = sorted(acked - delivered)
        return {"part": "kill-9", "broker": kind, "cycles": a.cycles, "acknowledged": len(acked),
                "delivered": len(delivered), "acknowledged_lost": len(lost), "duplicates": duplicates[0],
                "first_lost": lost[:5]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mqgate", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--brokers", default="mqgate,mosquitto")
    p.add_argument("--parts", default="startup,kill-9")
    p.add_argument("--retained", type=int, default=100000)
    p.add_argument("--sessions", type=int, default=10000)
    p.add_argument("--restarts", type=int, default=3)
    p.add_argument("--cycles", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out")
    a = p.parse_args()
    root = a.out or tempfile.mkdtemp(prefix="mqgate-storage-bench-")
    os.makedirs(root, exist_ok=True)
    for part in a.parts.split(","):
        for kind in a.brokers.split(","):
            row = startup(kind, a, root) if part == "startup" else kill_loop(kind, a, root)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
