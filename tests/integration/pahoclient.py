"""paho-mqtt (v1 API) wrapped with bounded, event-driven waits."""

import queue
import threading
import time

import paho.mqtt.client as mqtt


def summary(messages, keep=5):
    """The last few messages, short enough for a failure message."""
    shown = [(m.topic, m.payload[:40]) for m in messages[-keep:]]
    return "%d message(s), last %r" % (len(messages), shown)


class PahoClient:
    def __init__(self, client_id, clean_session=True):
        self.client = mqtt.Client(client_id=client_id, clean_session=clean_session,
                                  protocol=mqtt.MQTTv311)
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None  # (session_present, rc)
        self.disconnect_rc = None
        self._acks = {}
        self._acked = threading.Condition()
        self._running = False
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe

    def _on_connect(self, client, userdata, flags, rc):
        self.connack = (bool(flags.get("session present")), rc)
        self.connected.set()

    def _on_disconnect(self, client, userdata, rc):
        self.disconnect_rc = rc
        self.disconnected.set()

    def _on_message(self, client, userdata, message):
        self.messages.put(message)

    def _on_subscribe(self, client, userdata, mid, granted_qos):
        with self._acked:
            self._acks[mid] = list(granted_qos)
            self._acked.notify_all()

    def _on_unsubscribe(self, client, userdata, mid):
        with self._acked:
            self._acks[mid] = True
            self._acked.notify_all()

    def _wait_ack(self, mid, timeout, what):
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._acks, timeout):
                raise AssertionError("no %s within %.1f s" % (what, timeout))
            return self._acks.pop(mid)

    def connect(self, port, keepalive=60, will=None, timeout=10.0, expect_rc=0):
        """`will` is (topic, payload, qos, retain). Returns session present."""
        if will is not None:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain)
        self.client.connect("127.0.0.1", port, keepalive)
        self.client.loop_start()
        self._running = True
        if not self.connected.wait(timeout):
            raise AssertionError("paho: no CONNACK within %.1f s" % timeout)
        session_present, rc = self.connack
        if rc != expect_rc:
            raise AssertionError("paho: CONNACK return code %d, expected %d" % (rc, expect_rc))
        return session_present

    def subscribe(self, topic_filter, qos=0, timeout=5.0):
        """`topic_filter` may also be a list of (filter, qos). Returns the
        granted QoS list."""
        result, mid = self.client.subscribe(topic_filter, qos)
        if result != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError("paho subscribe failed: %d" % result)
        return self._wait_ack(mid, timeout, "SUBACK")

    def unsubscribe(self, topic_filter, timeout=5.0):
        result, mid = self.client.unsubscribe(topic_filter)
        if result != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError("paho unsubscribe failed: %d" % result)
        self._wait_ack(mid, timeout, "UNSUBACK")

    def publish(self, topic, payload, qos=0, retain=False, timeout=5.0, wait=True):
        """With `wait`, returns once acknowledged (QoS > 0) or written (QoS 0)."""
        info = self.client.publish(topic, payload, qos, retain)
        if wait:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise AssertionError("paho: publish to %r not completed within %.1f s"
                                     % (topic, timeout))
        return info

    def get(self, timeout=5.0):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message within %.1f s" % timeout) from None

    def collect(self, count, timeout=10.0):
        """Exactly `count` messages, all within one overall deadline."""
        deadline = time.monotonic() + timeout
        received = []
        for _ in range(count):
            try:
                received.append(self.messages.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError("got %d of %d messages within %.1f s: %s"
                                     % (len(received), count, timeout,
                                        summary(received))) from None
        return received

    def until(self, topic, payload=None, timeout=5.0, limit=10000):
        """Messages up to and including the first on `topic` (with `payload`
        if given): a sentinel published last marks that earlier messages
        had their chance to arrive."""
        deadline = time.monotonic() + timeout
        received = []
        for _ in range(limit):
            try:
                msg = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("sentinel %r not received within %.1f s; got %s"
                                     % (topic, timeout, summary(received))) from None
            received.append(msg)
            if msg.topic == topic and (payload is None or msg.payload == payload):
                return received
        raise AssertionError("more than %d messages before the sentinel" % limit)

    def assert_nothing(self, timeout):
        """Asserts no message arrives within `timeout` (a bounded wait on the queue)."""
        try:
            msg = self.messages.get(timeout=timeout)
        except queue.Empty:
            return
        raise AssertionError("unexpected message %r %r" % (msg.topic, msg.payload[:40]))

    def disconnect(self, timeout=5.0):
        self.client.disconnect()
        if not self.disconnected.wait(timeout):
            raise AssertionError("paho: not disconnected within %.1f s" % timeout)
        self.client.loop_stop()
        self._running = False

    def stop(self):
        """Cleanup: ends the network thread whatever state the client is in."""
        if self._running:
            self.client.disconnect()
            self.disconnected.wait(2.0)
            self.client.loop_stop()
            self._running = False
