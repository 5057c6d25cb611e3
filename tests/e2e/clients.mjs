// MQTT peers for the browser tests: Debian's mosquitto_sub/mosquitto_pub as
// child processes, with bounded waits on their output.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const WAIT_MS = 15000;

export class Cli {
  constructor(command, args, { stdin } = {}) {
    this.command = `${command} ${args.join(' ')}`;
    this.lines = [];
    this.waiters = [];
    this.proc = spawn(command, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) this.proc.stdin.end(stdin);
    this.stderr = [];
    createInterface({ input: this.proc.stderr }).on('line', (l) => this.stderr.push(l));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !w(line));
    });
    this.exited = once(this.proc, 'exit');
  }

  // Resolves with the first line (already seen or coming) matching `pattern`.
  waitForLine(pattern, timeout = WAIT_MS) {
    const seen = this.lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `${this.command}: no line matching ${pattern} within ${timeout} ms; got ${JSON.stringify(this.lines)} ${this.stderr.join(' ')}`)), timeout);
      this.waiters.push((line) => {
        if (!pattern.test(line)) return false;
        clearTimeout(timer);
        resolve(line);
        return true;
      });
    });
  }

  async exit(timeout = WAIT_MS) {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeout);
    const [code, signal] = await this.exited;
    clearTimeout(timer);
    return { code, signal };
  }

  async kill(signal = 'SIGTERM') {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    await this.exit();
  }
}

export function mosquittoSub(port, { id, topics, qos = 1, extra = [] }) {
  return new Cli('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-i', id, '-q', String(qos),
    '-v', ...topics.flatMap((t) => ['-t', t]), ...extra]);
}

// Publishes one message (payload from stdin when it is a Buffer) and waits
// for mosquitto_pub to finish.
export async function mosquittoPub(port, { topic, payload, qos = 1, retain = false }) {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-t', topic, '-q', String(qos)];
  if (retain) args.push('-r');
  const binary = Buffer.isBuffer(payload);
  args.push(...(binary ? ['-s'] : ['-m', payload]));
  const cli = new Cli('mosquitto_pub', args, binary ? { stdin: payload } : {});
  const { code } = await cli.exit();
  if (code !== 0) throw new Error(`${cli.command} exited with ${code}: ${cli.stderr.join(' ')}`);
}
