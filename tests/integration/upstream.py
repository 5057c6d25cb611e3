"""Debian's mosquitto as the upstream broker of bridge tests: started on a
free loopback port (found by binding port 0), stopped and started again on
the same port, with its own config file, password file and persistence
directory."""

import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

START_TIMEOUT = 10.0


def free_port():
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    """`users`: {name: password}; given, anonymous clients are refused.
    `persistent`: sessions and queued messages survive stop()/start()."""

    def __init__(self, users=None, persistent=True, extra=""):
        self.dir = tempfile.mkdtemp(prefix="mqgate-upstream-")
        self.port = free_port()
        self.proc = None
        self.drainer = None
        self.log = []
        lines = ["listener %d 127.0.0.1" % self.port, "log_dest stderr", "log_type all"]
        if os.geteuid() == 0:
            lines.append("user root")  # started as root it would switch to user mosquitto, who cannot read self.dir
        if users:
            passwd = os.path.join(self.dir, "passwd")
            for i, (name, password) in enumerate(users.items()):
                subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) + [passwd, name, password],
                               check=True, capture_output=True, timeout=10)
            lines += ["allow_anonymous false", "password_file " + passwd]
        else:
            lines.append("allow_anonymous true")
        if persistent:
            lines += ["persistence true", "persistence_location " + self.dir + "/",
                      "autosave_interval 3600"]
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.wait_for("Opening ipv4 listen socket on port %d" % self.port, START_TIMEOUT)

    def wait_for(self, text, timeout):
        """Reads mosquitto's log until a line holds `text` (bounded)."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stderr.fileno()
        pending = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("mosquitto: %r not logged within %.0f s: %s" % (text, timeout, self.log[-20:]))
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("mosquitto exited (%s): %s" % (self.proc.wait(5), self.log[-20:]))
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self.log.append(line.decode("utf-8", "replace"))
                if text in self.log[-1]:
                    self._drain()
                    return

    def _drain(self):
        """Keeps reading its log in the background so it never blocks on the pipe."""
        proc = self.proc

        def drain():
            for line in proc.stderr:
                self.log.append(line.decode("utf-8", "replace").rstrip("\n"))

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()

    def stop(self):
        """SIGTERM (it saves its persistence file), then waits for the exit."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self._close_log()

    def _close_log(self):
        if self.drainer:
            self.drainer.join(10)  # at EOF once the process is gone
            self.drainer = None
        if self.proc and not self.proc.stderr.closed:
            self.proc.stderr.close()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()
        shutil.rmtree(self.dir, ignore_errors=True)
