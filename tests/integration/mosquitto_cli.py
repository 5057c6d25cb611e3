"""mosquitto_sub / mosquitto_pub (Debian mosquitto-clients) as real peers."""

import os
import select
import signal
import subprocess
import time

# mosquitto_sub prints each message on one line in this shape, and its debug
# output (-d) tells us when the subscription is acknowledged.
MESSAGE_FORMAT = "MSG %q %r %t %p"


class Message:
    def __init__(self, qos, retain, topic, payload):
        self.qos, self.retain, self.topic, self.payload = qos, retain, topic, payload

    def __repr__(self):
        return "Message(q%d r%d %s %r)" % (self.qos, self.retain, self.topic, self.payload)


class MosquittoSub:
    """mosquitto_sub in the background; every wait is bounded and its own
    -W timeout bounds its life."""

    def __init__(self, port, topic_filter, qos=0, client_id=None, count=None, timeout=20,
                 extra=()):
        # stdbuf: mosquitto_sub block-buffers stdout into a pipe.
        cmd = ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv311",
               "-t", topic_filter, "-q", str(qos), "-d", "-F", MESSAGE_FORMAT,
               "-W", str(timeout)]
        if client_id:
            cmd += ["-i", client_id]
        if count:
            cmd += ["-C", str(count)]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.output = []  # every line, for failure messages
        self._pending = b""
        self._lines = []

    def _next_line(self, deadline):
        """The next output line, or None at the deadline or end of output."""
        fd = self.proc.stdout.fileno()
        while not self._lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._pending += chunk
            *lines, self._pending = self._pending.split(b"\n")
            decoded = [line.decode("utf-8", "replace") for line in lines]
            self.output += decoded
            self._lines += decoded
        return self._lines.pop(0)

    def wait_subscribed(self, timeout=10.0):
        """Returns the granted QoS once the SUBACK is in."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline)
            if line is None:
                raise AssertionError("mosquitto_sub not subscribed within %.1f s: %r"
                                     % (timeout, self.output))
            if line.startswith("Subscribed (mid:"):
                return int(line.rsplit(":", 1)[1])

    def messages(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        received = []
        while len(received) < count:
            line = self._next_line(deadline)
            if line is None:
                raise AssertionError("mosquitto_sub: got %d of %d messages within %.1f s: %r"
                                     % (len(received), count, timeout, self.output))
            if line.startswith("MSG "):
                _, qos, retain, topic, *payload = line.split(" ", 4)
                received.append(Message(int(qos), int(retain), topic,
                                        payload[0] if payload else ""))
        return received

    def kill(self):
        """SIGKILL: the client vanishes without DISCONNECT."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        # SIGKILL: mosquitto_sub may ignore SIGTERM while it is disconnecting
        # after -C, and the tests never depend on how it leaves.
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdout.close()


def mosquitto_pub(port, topic, message=None, qos=0, retain=False, client_id=None, file=None,
                  timeout=15):
    """Publishes one message and returns once mosquitto_pub has completed the
    QoS flow and disconnected."""
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv311", "-t", topic,
           "-q", str(qos)]
    if client_id:
        cmd += ["-i", client_id]
    if retain:
        cmd.append("-r")
    if file is not None:
        cmd += ["-f", file]
    elif message == "" or message is None:
        cmd.append("-n")
    else:
        cmd += ["-m", message]
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError("mosquitto_pub exited %d: %s %s"
                             % (done.returncode, done.stdout, done.stderr))
