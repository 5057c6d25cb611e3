// The JSON stream (WebSocket /api/v1/stream, protocol in the README): one
// socket for the whole dashboard, reopened with exponential backoff when it
// drops; subscriptions and the event filter are replayed on every reopen.

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const REQUEST_TIMEOUT_MS = 10000;

export class Stream extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.socket = null;
    this.state = 'connecting';  // connecting | open | reconnecting | offline
    this.attempt = 0;
    this.reconnects = 0;        // successful reopens after a drop
    this.nextId = 1;
    this.pending = new Map();   // id -> {resolve, reject, timer}
    this.filters = new Map();   // filter -> qos: live subscriptions to restore
    this.eventFilter = null;    // ["*"] once events are wanted
    this.retryTimer = null;
    this.retryAt = 0;
    this.everOpened = false;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = this.api.accessToken();
    const query = token ? `?access_token=${encodeURIComponent(token)}` : '';
    return `${scheme}//${location.host}/api/v1/stream${query}`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.onopen = () => this.onOpen();
    socket.onmessage = (e) => this.onFrame(e.data);
    socket.onclose = (e) => this.onClose(e);
  }

  // After a login: the old socket was refused or carries stale credentials.
  restart() {
    this.attempt = 0;
    this.connect();
  }

  onOpen() {
    if (this.everOpened) {
      this.reconnects += 1;
      this.dispatchEvent(new CustomEvent('reconnected', { detail: { reconnects: this.reconnects } }));
    }
    this.everOpened = true;
    this.attempt = 0;
    this.setState('open');
    if (this.eventFilter) this.send({ op: 'events', filter: this.eventFilter });
    for (const [filter, qos] of this.filters) this.send({ op: 'subscribe', filter, qos });
  }

  onClose(event) {
    this.socket = null;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error('the stream closed'));
    }
    this.pending.clear();
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.lastClose = { code: event.code, reason: event.reason };
    this.setState(this.everOpened ? 'reconnecting' : 'offline');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if ((frame.type === 'ack' || frame.type === 'error' || frame.type === 'pong') && frame.id != null) {
      const waiter = this.pending.get(frame.id);
      if (waiter) {
        this.pending.delete(frame.id);
        clearTimeout(waiter.timer);
        if (frame.type === 'error') waiter.reject(Object.assign(new Error(frame.error?.message ?? 'error'), frame.error));
        else waiter.resolve(frame);
        return;
      }
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  send(op) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(op));
    return true;
  }

  // Sends an op with an id and resolves with its ack (rejects on an error
  // answer, a timeout or a closed stream).
  request(op) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send({ ...op, id })) {
        reject(new Error('the stream is not connected'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${op.op} within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  enableEvents(filter = ['*']) {
    this.eventFilter = filter;
    this.send({ op: 'events', filter });
  }

  // Remembered so a reopened stream resubscribes; the ack (or error) comes
  // back when the stream is open now.
  async subscribe(filter, qos = 0) {
    const ack = await this.request({ op: 'subscribe', filter, qos });
    this.filters.set(filter, qos);
    return ack;
  }

  async unsubscribe(filter) {
    this.filters.delete(filter);
    return this.request({ op: 'unsubscribe', filter });
  }
}
