"""Durable storage: what a restart, a kill -9 and a full disk keep (README "Storage")."""

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import paho.mqtt.client as mqtt

from harness import SANITIZED, Gateway, gateway_binary, poll

WAIT = 20.0  # bounded waits; sanitizer builds are slow


def wait_for(predicate, timeout=WAIT, step=0.02):
    return poll(predicate, timeout, step)


class Subscriber:
    """A persistent-session subscriber that lives across broker restarts:
    one paho client object, reconnecting by itself, keeping its inbound
    QoS 2 state as a real device would."""

    def __init__(self, client_id, port, topic, qos):
        self.received = []  # payloads, in arrival order
        self.lock = threading.Lock()
        self.connacks = []  # session_present flags
        self.client = mqtt.Client(client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311)
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.topic, self.qos = topic, qos
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, rc):
        with self.lock:
            self.connacks.append(bool(flags.get("session present")))
            first = len(self.connacks) == 1
        if first:
            client.subscribe(self.topic, self.qos)

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.received.append(int(msg.payload))

    def numbers(self):
        with self.lock:
            return list(self.received)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


def acknowledged(info):
    """Was the message acknowledged? paho's is_published() raises for a
    message first queued while disconnected (rc NO_CONN), though paho sends it
    after reconnecting and marks it published on its ack."""
    return info._published


class SpecClient(mqtt.Client):
    """paho 1.6, reconnecting twice in quick succession (a broker killed
    while the first reconnect's CONNACK is on its way), turns a QoS 2 message
    whose PUBREL it was about to resend back into a PUBLISH to resend: a
    second copy the broker must deliver, since the PUBREL released the first
    [MQTT-4.3.3-1]. Kept at resending the PUBREL here, as the spec says."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set on every acknowledgement and connect: what lets a publisher with a full window go on.
        self.changed = threading.Event()
        self.on_connect = lambda client, userdata, flags, rc: self.changed.set()

    def _do_on_publish(self, mid):
        # paho calls on_publish before it marks the message published: wake the publisher after that.
        rc = super()._do_on_publish(mid)
        self.changed.set()
        return rc

    def _messages_reconnect_reset_out(self):
        with self._out_message_mutex:
            pubrel = [m for m in self._out_messages.values()
                      if m.qos == 2 and m.state in (mqtt.mqtt_ms_resend_pubrel, mqtt.mqtt_ms_wait_for_pubcomp)]
            super()._messages_reconnect_reset_out()
            for m in pubrel:
                m.state = mqtt.mqtt_ms_resend_pubrel


class Publisher:
    """Publishes 0, 1, 2, ... at `qos` whenever connected; acked() gives the
    numbers the broker acknowledged (PUBACK, or PUBCOMP for QoS 2). One paho
    client object throughout: its session (clean session 0) resends what was
    in flight after each reconnect, as a device would."""

    def __init__(self, client_id, port, topic, qos, window):
        self.topic, self.qos, self.window = topic, qos, window
        self.infos = []  # the MQTTMessageInfo of message n at index n
        self.oldest = 0  # messages before this one are all acknowledged
        self.client = SpecClient(client_id=client_id, clean_session=False, protocol=mqtt.MQTTv311)
        # No paho in-flight cap: paho 1.6 loses count of it across reconnects and stops sending.
        # `window` (unacknowledged messages) bounds it instead.
        self.client.max_inflight_messages_set(0)
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            self.client.changed.clear()  # before the checks: a change after them ends the wait at once
            while self.oldest < len(self.infos) and acknowledged(self.infos[self.oldest]):
                self.oldest += 1
            if len(self.infos) - self.oldest >= self.window or not self.client.is_connected():
                self.client.changed.wait(1.0)  # bounded; the checks run again either way
                continue
            self.infos.append(self.client.publish(self.topic, str(len(self.infos)), self.qos))

    def acked(self):
        return {n for n, info in enumerate(self.infos) if acknowledged(info)}

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.client.disconnect()
        self.client.loop_stop()


def publish_one(port, client_id, topic, payload, qos=1):
    """Connects, publishes once and returns whether the broker acknowledged
    it before closing the connection (or within the bounded wait)."""
    closed = threading.Event()
    pub = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
    pub.on_disconnect = lambda c, u, rc: closed.set()
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    try:
        if not wait_for(pub.is_connected):
            return False
        info = pub.publish(topic, payload, qos)
        wait_for(lambda: info.is_published() or closed.is_set(), timeout=10)
        return info.is_published()
    finally:
        pub.disconnect()
        pub.loop_stop()


def small_disk():
    """A file-size limit of 1 MiB stands in for a full disk (raised again with prlimit)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))


def rest_publish(http_port, item):
    """POST /api/v1/publish; returns (status, JSON body)."""
    request = urllib.request.Request("http://127.0.0.1:%d/api/v1/publish" % http_port,
                                     data=json.dumps(item).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def limits():
    # Queues large enough that nothing is dropped for being full: every
    # acknowledged message must come out.
    return {"mqtt": {"max_queued_messages": 1000000, "max_queued_bytes": 1 << 30}}


class StorageTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mqgate-storage-")
        self.data = os.path.join(self.dir, "data")
        self.gateways = []

    def tearDown(self):
        for gw in self.gateways:
            gw.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, port=0, config=None, preexec_fn=None, on_line=None):
        gw = Gateway(config if config is not None else limits(), data_dir=self.data, mqtt_port=port,
                     preexec_fn=preexec_fn, on_line=on_line)
        self.gateways.append(gw)
        gw.start()
        return gw

    def test_restart_keeps_retained_messages_and_persistent_sessions(self):
        gw = self.start()
        sub = mqtt.Client(client_id="dev", clean_session=False, protocol=mqtt.MQTTv311)
        sub.connect("127.0.0.1", gw.mqtt_port)
        sub.loop_start()
        self.assertTrue(wait_for(sub.is_connected))
        sub.subscribe("plant/#", 1)
        self.assertTrue(wait_for(lambda: self._subscribed(gw, ["dev"])))
        sub.loop_stop()
        sub.disconnect()
        for args in (["-t", "plant/temp", "-m", "21.5", "-r", "-q", "1"],
                     ["-t", "plant/alarm", "-m", "queued while away", "-q", "1"]):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(gw.mqtt_port), "-i", "pub"] + args,
                           check=True, timeout=10)
        gw.stop()  # SIGTERM

        gw = self.start()
        got = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(gw.mqtt_port), "-t", "plant/temp",
                              "-C", "1", "-W", "10", "-v"], capture_output=True, text=True, timeout=15)
        self.assertEqual(got.stdout.strip(), "plant/temp 21.5", got.stderr)
        # The session: session present, its subscription and the queued message.
        present, messages = [], []
        dev = mqtt.Client(client_id="dev", clean_session=False, protocol=mqtt.MQTTv311)
        dev.on_connect = lambda c, u, flags, rc: present.append(bool(flags.get("session present")))
        dev.on_message = lambda c, u, m: messages.append((m.topic, m.payload))
        dev.connect("127.0.0.1", gw.mqtt_port)
        dev.loop_start()
        self.assertTrue(wait_for(lambda: (b"queued while away" in [p for _, p in messages])),
                        "queued message not delivered after the restart: %r" % messages)
        self.assertEqual(present, [True])
        dev.loop_stop()
        dev.disconnect()
        stats = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/api/v1/stats" % gw.ports["http"]],
                               capture_output=True, text=True, timeout=10).stdout
        self.assertIn('"backend":"sqlite"', stats)
        gw.stop()

    def test_kill_9_loses_no_acknowledged_message(self):
        """50 kill -9 at random points under QoS 1 and QoS 2 traffic."""
        cycles = int(os.environ.get("MQGATE_KILL_CYCLES", "50"))
        rnd = random.Random(int(os.environ.get("MQGATE_KILL_SEED", "1")))
        gw = self.start()
        port = gw.mqtt_port
        subs = [Subscriber("k-sub-1", port, "k/1", 1), Subscriber("k-sub-2", port, "k/2", 2)]
        # The subscriptions exist (and are stored) before anything is published.
        self.assertTrue(wait_for(lambda: all(s.connacks for s in subs)))
        self.assertTrue(wait_for(lambda: self._subscribed(gw, ["k-sub-1", "k-sub-2"])))
        # QoS 2: fewer in flight than mqtt.max_awaiting_rel (100), beyond which the broker closes the connection.
        pubs = [Publisher("k-pub-1", port, "k/1", 1, 200), Publisher("k-pub-2", port, "k/2", 2, 50)]
        try:
            for _ in range(cycles):
                time.sleep(rnd.uniform(0.05, 0.6))  # traffic for a while, then the kill lands anywhere
                gw.proc.send_signal(signal.SIGKILL)
                gw.proc.wait(10)
                gw = self.start(port)
            for p in pubs:
                p.stop()
            # Everything acknowledged arrives once the last broker runs undisturbed.
            for p, s in zip(pubs, subs):
                acked = p.acked()
                self.assertTrue(wait_for(lambda: acked <= set(s.numbers()), timeout=60),
                                "QoS %d: %d acknowledged message(s) never delivered, e.g. %r"
                                % (p.qos, len(acked - set(s.numbers())), sorted(acked - set(s.numbers()))[:10]))
                got = s.numbers()
                dups = len(got) - len(set(got))
                if p.qos == 2:
                    self.assertEqual(dups, 0, "QoS 2 delivered twice")
                else:
                    # Resends after a restart: the broker's in-flight window (20), the publisher's
                    # unacknowledged, and the QoS 1 deliveries of the last commit interval, which go out
                    # before their commit (README "Storage"): a few hundred per kill at most.
                    self.assertLessEqual(dups, cycles * (20 + p.window + 500))
                self.assertGreater(len(acked), cycles, "too little traffic to mean anything")
                print("QoS %d: %d acknowledged, %d delivered, %d duplicate(s) over %d kill -9"
                      % (p.qos, len(acked), len(got), dups, cycles))
        finally:
            for p in pubs:
                p.running = False
            for s in subs:
                s.stop()
        gw.stop()

    def _subscribed(self, gw, client_ids):
        out = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/api/v1/subscriptions" % gw.ports["http"]],
                             capture_output=True, text=True, timeout=10).stdout
        return all(c in out for c in client_ids)

    def run_gateway(self, *extra):
        return subprocess.run([gateway_binary(), "--bind", "127.0.0.1", "--mqtt-port", "0", "--http-port", "0",
                               "--data-dir", self.data] + list(extra),
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    def test_corrupt_or_foreign_file_stops_start_up(self):
        os.makedirs(self.data)
        path = os.path.join(self.data, "mqgate.db")
        with open(path, "wb") as f:
            f.write(b"this is not a database, just text that someone put here\n" * 100)
        run = self.run_gateway()
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(path, run.stderr)
        # A SQLite database that is not mqgate's.
        os.remove(path)
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE recipes(name TEXT)")
        con.commit()
        con.close()
        run = self.run_gateway()
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(path, run.stderr)
        self.assertIn("not a mqgate store", run.stderr)
        # --check-config says the same without starting.
        run = self.run_gateway("--check-config")
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("not a mqgate store", run.stderr)

    def test_a_second_process_on_the_same_store_stops_at_start_up(self):
        """Two nodes committing over each other's sessions would corrupt both: the second one is
        refused, --check-config still passes while the first runs, and a kill -9 leaves no lock."""
        first = self.start()
        path = os.path.join(self.data, "mqgate.db")
        run = self.run_gateway()
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(path + ".lock: the store is in use by another mqgate process (pid %d)" % first.proc.pid,
                      run.stderr)
        self.assertTrue(first.alive())
        run = self.run_gateway("--check-config")
        self.assertEqual(run.returncode, 0, run.stderr)
        first.kill()  # SIGKILL: the kernel drops the lock with the process
        again = self.start()
        self.assertTrue(again.alive())

    def test_full_disk_withholds_acks_then_recovers(self):
        """A file-size limit stands in for a full disk: writes past it fail."""
        gw = self.start(preexec_fn=small_disk)
        port = gw.mqtt_port
        sub = mqtt.Client(client_id="disk-sub", clean_session=False, protocol=mqtt.MQTTv311)
        sub.connect("127.0.0.1", port)
        sub.loop_start()
        self.assertTrue(wait_for(sub.is_connected))
        sub.subscribe("disk/#", 1)
        self.assertTrue(wait_for(lambda: self._subscribed(gw, ["disk-sub"])))
        sub.loop_stop()
        sub.disconnect()

        acked, refused = [], 0
        payload = b"x" * 20000
        for i in range(200):  # 4 MB offered against a 1 MB file limit
            if publish_one(port, "disk-pub", "disk/%d" % i, payload):
                acked.append(i)
            else:
                refused += 1
            if refused >= 3:
                break
        self.assertGreater(refused, 0, "the file limit never bit: %d acknowledged" % len(acked))
        self.assertTrue(gw.alive())
        self.assertIn("storage: a write failed", gw.log_text(), "%d acked, %d refused" % (len(acked), refused))

        # Space returns: writes succeed again, nothing acknowledged was lost.
        resource.prlimit(gw.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

        self.assertTrue(wait_for(lambda: publish_one(port, "disk-pub-after", "disk/after", b"after"),
                                 timeout=20, step=0.2), "no recovery after space returned")
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(10)
        gw = self.start(port)  # the file is not corrupt: it opens and loads

        got = []
        sub = mqtt.Client(client_id="disk-sub", clean_session=False, protocol=mqtt.MQTTv311)
        sub.on_message = lambda c, u, m: got.append(m.topic)
        sub.connect("127.0.0.1", port)
        sub.loop_start()
        want = {"disk/%d" % i for i in acked} | {"disk/after"}
        self.assertTrue(wait_for(lambda: want <= set(got), timeout=30),
                        "acknowledged but lost: %r" % sorted(want - set(got))[:10])
        sub.loop_stop()
        sub.disconnect()
        gw.stop()

    def test_readyz_is_503_while_the_stored_state_loads(self):
        """Start-up loads the store before MQTT listens; meanwhile the HTTP
        listener answers /readyz 503 and every other route 503 starting."""
        self.start().stop()  # creates the store and its schema
        # Retained messages, written straight into the file: a load that takes a while. Fewer under a
        # sanitizer, which loads several times slower and holds several times the memory.
        count = 50000 if SANITIZED else 200000
        db = sqlite3.connect(os.path.join(self.data, "mqgate.db"))
        with db:
            db.executemany("INSERT INTO messages(id, topic, payload, qos, retain, timestamp_ms, origin_client_id) "
                           "VALUES(?, ?, 'v', 0, 1, 0, '')", ((i, "load/%d" % i) for i in range(1, count + 1)))
            db.executemany("INSERT INTO retained VALUES(?, ?)", (("load/%d" % i, i) for i in range(1, count + 1)))
            db.execute("UPDATE meta SET value = ? WHERE key = 'next_id'", (count + 1,))
        db.close()

        seen = {"readyz": set(), "stats": set()}
        ready = threading.Event()

        def get(port, path):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=WAIT) as answer:
                    return answer.status, json.load(answer)
            except urllib.error.HTTPError as e:
                return e.code, json.load(e)

        def probe(port):
            for _ in range(20000):  # bounded; ends at "ready"
                if ready.is_set():
                    return
                status, body = get(port, "/readyz")
                if ready.is_set():
                    return  # the answer may predate the line: only what came before counts
                seen["readyz"].add((status, body.get("error", {}).get("code")))
                status, body = get(port, "/api/v1/stats")
                # Served only once the load is over: never a partial state.
                seen["stats"].add((status, body.get("error", {}).get("code") if status != 200 else body["retained"]))

        prober = []

        def on_line(line):
            if line.startswith("listening http "):
                t = threading.Thread(target=probe, args=(int(line.rsplit(":", 1)[1]),), daemon=True)
                t.start()
                prober.append(t)
            elif line == "ready":
                ready.set()

        gw = self.start(on_line=on_line)
        ready.set()
        for t in prober:
            t.join(WAIT)
        self.assertIn((503, "not_ready"), seen["readyz"], seen)
        self.assertEqual(seen["stats"] - {(503, "starting"), (200, count)}, set(), "served before the load ended")
        self.assertIn((503, "starting"), seen["stats"], seen)
        status, body = get(gw.ports["http"], "/readyz")
        self.assertEqual(status, 200, body)
        status, body = get(gw.ports["http"], "/api/v1/stats")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["retained"], count, body)
        gw.stop()

    def test_rest_publish_answers_after_its_commit(self):
        """A REST publish's answer is its acknowledgement, as a PUBACK is: what
        it stored is durable before the answer, and what could not be stored is
        answered 503 not_stored, never 200."""
        gw = self.start(preexec_fn=small_disk)
        http = gw.ports["http"]
        acked, refused = [], []
        payload = "x" * 20000
        for i in range(200):  # 4 MB of retained messages against a 1 MB file limit
            status, body = rest_publish(http, {"topic": "rest/%d" % i, "payload": payload, "qos": 1, "retain": True})
            if status in (200, 202):  # 202: no subscriber yet, retained all the same
                acked.append(i)
                continue
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"]["code"], "not_stored", body)
            refused.append(i)
            if len(refused) >= 3:
                break
        self.assertTrue(refused, "the file limit never bit: %d answered" % len(acked))
        self.assertTrue(acked, "nothing was stored before the limit")
        self.assertTrue(gw.alive())

        # Space returns: a REST publish is answered 200/202 again.
        resource.prlimit(gw.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        self.assertTrue(wait_for(lambda: rest_publish(http, {"topic": "rest/after", "payload": "after", "qos": 1,
                                                               "retain": True})[0] in (200, 202),
                                 timeout=20, step=0.2), "no recovery after space returned")
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(10)
        gw = self.start()

        got = set()
        sub = mqtt.Client(client_id="rest-check", protocol=mqtt.MQTTv311)
        sub.on_message = lambda c, u, m: got.add(m.topic)
        sub.on_connect = lambda c, u, f, rc: c.subscribe("rest/#", 1)
        sub.connect("127.0.0.1", gw.mqtt_port)
        sub.loop_start()
        want = {"rest/%d" % i for i in acked} | {"rest/after"}
        self.assertTrue(wait_for(lambda: want <= got, timeout=30),
                        "answered but lost: %r" % sorted(want - got)[:10])
        sub.loop_stop()
        sub.disconnect()
        gw.stop()


if __name__ == "__main__":
    unittest.main()
