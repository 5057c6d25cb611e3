"""Runs the real mqgate binary for a test class and checks it stops cleanly."""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from mosquitto_cli import MosquittoSub
from pahoclient import PahoClient
from rawclient import RawClient

# The binary under test is a sanitizer build (ctest passes the build's MQGATE_SANITIZE).
SANITIZED = bool(os.environ.get("MQGATE_SANITIZE"))
START_TIMEOUT = 20.0   # generous: sanitizer builds start slowly
# A graceful stop takes well under a second; sanitizer builds get longer
# because they free and check everything at exit, and a sanitizer that found
# something symbolizes its report before printing it: killed early, the report
# would be lost and the failure would say nothing.
STOP_TIMEOUT = 30.0 if SANITIZED else 10.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")
LISTENING = re.compile(r"^listening (\w+) (\S+):(\d+)$")


def gateway_binary():
    """MQGATE_BINARY (set by ctest), else a build tree next to the sources for
    running a test file by hand."""
    configured = os.environ.get("MQGATE_BINARY")
    if configured:
        return configured
    root = Path(__file__).resolve().parents[2]
    for build in ("build-net", "build"):
        candidate = root / build / "mqgate"
        if candidate.is_file():
            return str(candidate)
    raise RuntimeError("set MQGATE_BINARY to the mqgate executable")


class Gateway:
    """`bind`: the --bind flag (None: none, so the config or the defaults
    decide). Whatever it binds, tests talk to 127.0.0.1 only. `data_dir`:
    the --data-dir flag; by default a fresh one in the gateway's own
    temporary directory, so no state leaks between gateways; a test that
    restarts a gateway on its state passes the same one each time, and may
    ask for the MQTT port it had (`mqtt_port`), so clients reconnect to it."""

    def __init__(self, config=None, bind="127.0.0.1", preexec_fn=None, prefix=(), data_dir=None,
                 mqtt_port=0, on_line=None):
        self.config = config
        self.bind = bind
        self.preexec_fn = preexec_fn  # runs in the child before exec (e.g. resource limits)
        self.prefix = list(prefix)  # a command that execs the rest (e.g. into a network namespace)
        self.ports = {}
        self.listening = []  # (kind, address, port) as announced
        self.proc = None
        self.workdir = tempfile.mkdtemp(prefix="mqgate-it-")
        self.log_path = os.path.join(self.workdir, "stderr.log")
        self.data_dir = data_dir or os.path.join(self.workdir, "data")
        self.requested_mqtt_port = mqtt_port
        self.on_line = on_line  # called with each stdout line before "ready" (watching the start-up)
        self._stdout_lines = []
        self._drainer = None

    @property
    def mqtt_port(self):
        return self.ports["mqtt"]

    def start(self):
        cmd = self.prefix + [gateway_binary()] + (["--bind", self.bind] if self.bind else [])
        cmd += ["--mqtt-port", str(self.requested_mqtt_port), "--http-port", "0", "--data-dir", self.data_dir]
        if self.config is not None:
            path = os.path.join(self.workdir, "mqgate.json")
            with open(path, "w") as f:
                json.dump(self.config, f)
            cmd += ["--config", path]
        # Two I/O threads unless the test chose: the default is one, and the
        # suite should also cover connections on different threads.
        env = None
        if "threads" not in (self.config or {}) and "MQGATE_THREADS" not in os.environ:
            env = dict(os.environ, MQGATE_THREADS="2")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=log, preexec_fn=self.preexec_fn, env=env)
        try:
            self._wait_ready()
        except Exception:
            self.kill()
            raise
        # Keep draining stdout so a chatty gateway never blocks on a full pipe.
        self._drainer = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drainer.start()

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        pending = b""
        fd = self.proc.stdout.fileno()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("gateway not ready within %.0f s; stdout %r\n%s"
                                     % (START_TIMEOUT, self._stdout_lines, self.log_tail()))
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("gateway exited before 'ready' (code %s); stdout %r\n%s"
                                     % (self.proc.wait(STOP_TIMEOUT), self._stdout_lines,
                                        self.log_tail()))
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").strip()
                self._stdout_lines.append(line)
                if self.on_line:
                    self.on_line(line)
                match = LISTENING.match(line)
                if match:
                    kind, address, port = match.group(1), match.group(2), int(match.group(3))
                    self.listening.append((kind, address, port))
                    self.ports[kind] = port
                elif line == "ready":
                    if "mqtt" not in self.ports:
                        raise AssertionError("'ready' without an mqtt listener: %r"
                                             % self._stdout_lines)
                    return

    def _drain_stdout(self):
        for raw in self.proc.stdout:
            self._stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=150):
        text = self.log_text().splitlines()
        return "---- mqgate stderr (last %d of %d lines) ----\n%s\n---- end ----" % (
            min(lines, len(text)), len(text), "\n".join(text[-lines:]))

    def sanitizer_report(self):
        text = self.log_text()
        return next((m for m in SANITIZER_MARKERS if m in text), None)

    def kill(self):
        """Cleanup after a failed test: no checks, just gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def stop(self):
        """SIGTERM; raises AssertionError (with the log) unless the gateway
        exits 0 in time without a sanitizer report."""
        problems = []
        if self.proc.poll() is not None:
            problems.append("gateway had already exited with code %d" % self.proc.returncode)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append("gateway did not exit within %.0f s of SIGTERM; its threads then:\n%s"
                                % (STOP_TIMEOUT, thread_states(self.proc.pid)))
                self.kill()
            else:
                if self.proc.returncode != 0:
                    problems.append("gateway exited with code %d after SIGTERM"
                                    % self.proc.returncode)
        report = self.sanitizer_report()
        if report:
            problems.append("sanitizer report in the log: %r" % report)
        if self._drainer is not None:
            self._drainer.join(STOP_TIMEOUT)  # the pipe is at EOF once the process is gone
            if not self._drainer.is_alive():
                self.proc.stdout.close()
        if problems:
            raise AssertionError("; ".join(problems) + "\n" + self.log_tail(400))
        shutil.rmtree(self.workdir, ignore_errors=True)


def thread_states(pid):
    """Where each thread of a process is, from /proc (no debugger needed):
    name, state, the kernel function it sleeps in and its system call."""
    lines = []
    try:
        tids = sorted(os.listdir("/proc/%d/task" % pid), key=int)
    except OSError as e:
        return "  (unreadable: %s)" % e
    for tid in tids:
        fields = {}
        for name in ("comm", "stat", "wchan", "syscall"):
            try:
                with open("/proc/%d/task/%s/%s" % (pid, tid, name)) as f:
                    fields[name] = f.read().strip()
            except OSError:
                fields[name] = "?"
        state = fields["stat"].rsplit(")", 1)[-1].split()[:1] or ["?"]
        lines.append("  %s %s state %s wchan %s syscall %s" % (
            tid, fields["comm"], state[0], fields["wchan"], fields["syscall"].split(" ")[0]))
    return "\n".join(lines)


class GatewayTestCase(unittest.TestCase):
    """One gateway per test class; `config` (a dict) becomes its config file."""

    config = None
    bind = "127.0.0.1"
    preexec_fn = None  # a staticmethod run in the gateway's process before exec

    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway(cls.config, cls.bind, cls.preexec_fn)
        cls.gateway.start()
        cls.port = cls.gateway.mqtt_port

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def tearDown(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is not None and not outcome.success:
            print("\n" + self.gateway.log_tail(), file=sys.stderr)
        if not self.gateway.alive():
            self.fail("the gateway process died (code %s)\n%s"
                      % (self.gateway.proc.returncode, self.gateway.log_tail(400)))

    # --- helpers shared by the test files ---

    def client_id(self, suffix=""):
        """A client id unique to this test, so tests never share sessions."""
        return self.id().rsplit(".", 1)[-1] + ("-" + suffix if suffix else "")

    def topic(self, suffix=""):
        return "it/" + self.id().rsplit(".", 1)[-1] + ("/" + suffix if suffix else "")

    def raw(self, **kwargs):
        client = RawClient(self.port, **kwargs)
        self.addCleanup(client.close)
        return client

    def raw_connected(self, client_id=None, **kwargs):
        client = self.raw()
        session_present, rc = client.connect(client_id or self.client_id("raw"), **kwargs)
        self.assertEqual(rc, 0, "CONNACK return code")
        return client

    def paho(self, client_id=None, clean_session=True, connect=True, **kwargs):
        client = PahoClient(self.client_id("paho") if client_id is None else client_id,
                            clean_session)
        self.addCleanup(client.stop)
        if connect:
            client.connect(self.port, **kwargs)
        return client

    def mosquitto_sub(self, topic_filter, qos=0, **kwargs):
        sub = MosquittoSub(self.port, topic_filter, qos, **kwargs)
        self.addCleanup(sub.stop)
        return sub

    def assertClosed(self, client, timeout=5.0, msg=""):
        self.assertTrue(client.expect_closed(timeout),
                        "server did not close the connection within %.1f s %s" % (timeout, msg))

    def assertRoundTrip(self, client, topic, payload, qos=1):
        """`client` is subscribed to `topic`: a publish comes back to it."""
        client.publish(topic, payload, qos)
        msg = client.get(5.0)
        self.assertEqual((msg.topic, msg.payload), (topic, to_bytes(payload)))


def poll(predicate, timeout, step=0.05):
    """For what no event signals (a gateway's counters, a paho client's
    state): polls `predicate` until it is true or `timeout` passes; returns
    its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def to_bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)
