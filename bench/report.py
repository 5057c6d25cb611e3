#!/usr/bin/env python3
"""Turns bench/run's results.jsonl into the table of medians and ratios.

--one ROW      one-line summary of a single result (progress output)
--check        smoke mode: fail when a run failed, reported errors, or lost
               messages in a scenario where none may be lost (QoS 1)
"""
import argparse
import json
import statistics
import sys

# scenario -> [(field, label, better, target ratio mqgate/Mosquitto or None)]
METRICS = {
    "fanin-qos0": [("rate", "msg/s received", "higher", 2.0),
                   ("rate_per_broker_core", "msg/s per broker CPU-second", "higher", 2.0)],
    "fanin-qos1": [("rate", "msg/s received", "higher", 2.0),
                   ("rate_per_broker_core", "msg/s per broker CPU-second", "higher", 2.0)],
    "overload": [("sent_rate", "msg/s acknowledged (16 QoS 1 publishers, window 64)", "higher", None),
                 ("rate", "msg/s delivered to the one subscriber", "higher", None),
                 ("lost_share", "share of acknowledged messages dropped", "lower", None)],
    "fanout": [("rate", "deliveries/s (100 subs)", "higher", 2.0),
               ("rate_per_broker_core", "deliveries/s per broker CPU-second", "higher", 2.0)],
    "fanout-1000": [("rate", "deliveries/s (1000 subs)", "higher", 2.0),
                    ("rate_per_broker_core", "deliveries/s per broker CPU-second", "higher", 2.0)],
    "latency": [("p50_us", "p50 µs at 5k msg/s", "lower", None),
                ("p99_us", "p99 µs", "lower", 0.8),
                ("p999_us", "p99.9 µs", "lower", None)],
    "large": [("mb_per_s", "MB/s (64 KiB)", "higher", None)],
    "idle": [("rate", "connections/s", "higher", None),
             ("kib_per_conn", "KiB RSS per idle conn", "lower", 1.0)],
    "idle-mqtt-ws": [("kib_per_conn", "KiB RSS per idle MQTT-over-WebSocket conn (/mqtt)", "lower", None)],
    "idle-stream": [("kib_per_conn", "KiB RSS per idle JSON stream (WebSocket, no subscription)", "lower", None)],
    "idle-sse": [("kib_per_conn", "KiB RSS per idle SSE response (no filter)", "lower", None)],
    "retained": [("rate", "retained PUBLISH/s stored (QoS 1)", "higher", None),
                 ("bytes_per_retained", "bytes RSS per retained message", "lower", None)],
    "http-publish": [("rate", "req/s (wrk)", "higher", None),
                     ("deliveries_per_s", "MQTT deliveries/s", "higher", None)],
    "requests": [("rest_parallel_rate", "REST round trips/s (8 keep-alive connections, 10 devices)", "higher", None),
                 ("mqtt_parallel_rate", "bare MQTT round trips/s (8 outstanding, 10 devices)", "higher", None),
                 ("rest_p50_us", "REST round trip p50 µs, one at a time", "lower", None),
                 ("rest_p99_us", "REST round trip p99 µs", "lower", None),
                 ("mqtt_p50_us", "bare MQTT round trip p50 µs, one at a time", "lower", None),
                 ("mqtt_p99_us", "bare MQTT round trip p99 µs", "lower", None),
                 ("added_p50_us", "µs REST adds over bare MQTT, p50", "lower", None),
                 ("added_p99_us", "µs REST adds over bare MQTT, p99", "lower", None)],
    "ws-fanout": [("rate", "deliveries/s (JSON stream)", "higher", None)],
    "ws-overload": [("rate", "deliveries/s (JSON stream, 100 clients, saturated)", "higher", None),
                    ("rate_per_broker_core", "deliveries/s per broker CPU-second, saturated", "higher", None),
                    ("overload_rate", "deliveries/s at 2x the saturated rate", "higher", None),
                    ("overload_kept", "share of the saturated rate kept at 2x", "higher", None),
                    ("overload_rate_per_broker_core", "deliveries/s per broker CPU-second at 2x", "higher", None),
                    ("overload_kept_per_broker_cpu", "share kept at 2x, per broker CPU-second", "higher", None),
                    ("overload_notice_share", "share of frames that are dropped notices at 2x", "lower", None),
                    ("bytes_per_delivery", "bytes on the wire per delivery, plain", "lower", None)],
    "ws-deflate": [("rate", "deliveries/s (JSON stream, 100 clients offering permessage-deflate, saturated)", "higher", None),
                   ("rate_per_broker_core", "deliveries/s per broker CPU-second, compressed", "higher", None),
                   ("bytes_per_delivery", "bytes on the wire per delivery, compressed", "lower", None)],
    "ws-throughput": [("rate", "msg/s over /mqtt", "higher", None),
                      ("rate_per_broker_core", "msg/s over /mqtt per broker CPU-second", "higher", None)],
    "webhooks": [("rate", "events/s POSTed to a local receiver, one per request (16 publishers)", "higher", None),
                 ("rate_per_broker_core", "events/s per broker CPU-second", "higher", None)],
    "webhooks-batch": [("rate", "events/s POSTed in batches of up to 100", "higher", None),
                       ("events_per_request", "events per request", "higher", None),
                       ("rate_per_broker_core", "events/s per broker CPU-second", "higher", None)],
    # Storage scenarios: "mqgate" stores (SQLite, sync full), Mosquitto has
    # persistence true, "mqgate-mem" is mqgate with storage.backend memory.
    "fanin-qos1-persistent": [("rate", "msg/s received (QoS 1 to a persistent session)", "higher", 5.0),
                              ("rate_per_broker_core", "msg/s per broker CPU-second", "higher", None)],
    "retained-persistent": [("rate", "retained PUBLISH/s stored (QoS 1, distinct topics)", "higher", None)],
}
BROKERS = [("mqgate", "mqgate 1 core"), ("mosquitto", "Mosquitto 1 core"), ("mqgate-all", "mqgate all cores"),
           ("mqgate-mem", "mqgate memory-only 1 core"), ("beast-bare", "Beast framing alone 1 core")]
# What storing may cost at most: mqgate with storage against itself memory-only.
MEM_TARGETS = {("fanin-qos1-persistent", "rate"): 0.5}
# QoS 1 end to end with bounded windows: mqgate must deliver every message.
# (Mosquitto's losses are reported in the table, not failed on.)
MUST_NOT_LOSE = {"fanin-qos1", "latency", "fanin-qos1-persistent"}


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def one(row):
    if "failed" in row:
        return "FAILED: " + row["failed"]
    if "skipped" in row:
        return "skipped: " + row["skipped"]
    parts = [f"{label}={fmt(row.get(field))}" for field, label, _, _ in METRICS.get(row["scenario"], [])
             if field in row]
    for extra in ("lost", "errors", "gen_cpu", "broker_cpu"):
        if extra in row:
            parts.append(f"{extra}={fmt(row[extra])}")
    return "  ".join(parts)


def median(rows, field):
    values = [r[field] for r in rows if field in r and "failed" not in r and "skipped" not in r]
    return statistics.median(values) if values else None


def table(rows):
    by = {}
    for r in rows:
        by.setdefault((r["scenario"], r["broker"]), []).append(r)
    present = [b for b, _ in BROKERS if any(k[1] == b for k in by)]
    head = ["scenario", "metric"] + [label for b, label in BROKERS if b in present]
    if "mqgate" in present and "mosquitto" in present:
        head += ["mqgate/Mosquitto", "target", "met"]
    if "mqgate-all" in present and "mosquitto" in present:
        head += ["all cores/Mosquitto"]
    if "mqgate-mem" in present:
        head += ["mqgate/memory-only (target, met)"]
    head += ["lost (per broker)", "generator CPU (max)", "broker CPU (median)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    scenarios = [s for s in METRICS if any(k[0] == s for k in by)]
    for s in scenarios:
        for field, label, better, target in METRICS[s]:
            cells = [s, label]
            med = {}
            for b, _ in BROKERS:
                if b not in present:
                    continue
                rs = by.get((s, b), [])
                skipped = next((r["skipped"] for r in rs if "skipped" in r), None)
                med[b] = median(rs, field)
                cells.append(fmt(med[b]) if med[b] is not None else ("skipped" if skipped else "–"))
            if "mqgate" in present and "mosquitto" in present:
                ratio = med["mqgate"] / med["mosquitto"] if med.get("mqgate") and med.get("mosquitto") else None
                cells.append(fmt(ratio) + ("×" if ratio is not None else ""))
                if target is None or ratio is None:
                    cells += ["–", "–"]
                else:
                    ok = ratio >= target if better == "higher" else ratio <= target
                    cells += [("≥ " if better == "higher" else "≤ ") + f"{target}×", "yes" if ok else "**no**"]
            if "mqgate-all" in present and "mosquitto" in present:
                ratio = med["mqgate-all"] / med["mosquitto"] if med.get("mqgate-all") and med.get("mosquitto") else None
                cells.append(fmt(ratio) + ("×" if ratio is not None else ""))
            if "mqgate-mem" in present:
                ratio = med["mqgate"] / med["mqgate-mem"] if med.get("mqgate") and med.get("mqgate-mem") else None
                target = MEM_TARGETS.get((s, field))
                cell = fmt(ratio) + ("×" if ratio is not None else "")
                if ratio is not None and target is not None:
                    cell += f" (≥ {target}×: {'yes' if ratio >= target else '**no**'})"
                cells.append(cell)
            lost = []
            cpu = []
            bcpu = []
            for b, _ in BROKERS:
                rs = [r for r in by.get((s, b), []) if "failed" not in r and "skipped" not in r]
                if b in present and rs:
                    lost.append(f"{b}: {int(sum(r.get('lost', 0) for r in rs))}")
                    cpu += [r["gen_cpu"] for r in rs if "gen_cpu" in r]
                    m = median(rs, "broker_cpu")
                    if m is not None:
                        bcpu.append(f"{b}: {m:.2f}")
            cells += [", ".join(lost) or "–", f"{max(cpu):.2f}" if cpu else "–", ", ".join(bcpu) or "–"]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ws_vs_tcp(by)
    return "\n".join(lines)


# ws-throughput has fanin-qos0's shape (10 publishers -> 1 subscriber, 64 B,
# QoS 0), so their ratio is the cost of MQTT over WebSocket. Debian's
# Mosquitto 2.0 is built without WebSocket support: mqgate is compared with
# itself here.
def ws_vs_tcp(by):
    out = []
    for b, label in BROKERS:
        ws = median(by.get(("ws-throughput", b), []), "rate")
        tcp = median(by.get(("fanin-qos0", b), []), "rate")
        if ws and tcp:
            out.append(f"{label}: {fmt(ws)} msg/s over /mqtt = {fmt(ws / tcp)}× its TCP rate ({fmt(tcp)} msg/s)")
    if not out:
        return []
    return ["", "MQTT over WebSocket vs TCP (ws-throughput / fanin-qos0, same shape): " + "; ".join(out) + "."]


def check(rows):
    problems = []
    for r in rows:
        where = f"{r['scenario']} on {r['broker']} round {r['round']}"
        if "failed" in r:
            problems.append(f"{where}: {r['failed']}")
        elif "skipped" in r:
            continue
        elif r.get("errors", 0):
            problems.append(f"{where}: {r['errors']} client errors ({r.get('first_error', '')})")
        elif r["scenario"] in MUST_NOT_LOSE and r["broker"].startswith("mqgate") and r.get("lost", 0):
            problems.append(f"{where}: lost {r['lost']} QoS 1 messages")
        elif r.get("delivered", 1) == 0 or r.get("connected", 1) == 0:
            problems.append(f"{where}: nothing arrived")
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--one")
    p.add_argument("--results")
    p.add_argument("--machine", default="")
    p.add_argument("--command", default="")
    p.add_argument("--markdown")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    if a.one:
        print(one(json.loads(a.one)))
        return 0
    with open(a.results) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for r in rows:  # overload: what share of what was acknowledged the subscriber never saw
        if r.get("sent"):
            r["lost_share"] = r.get("lost", 0) / r["sent"]
    text = (f"Command: `{a.command}`\n\nMachine: {a.machine}\n\n"
            "Medians over the rounds. Ratios are mqgate/Mosquitto; for latency and memory lower is better. "
            "\"Per broker CPU-second\" divides the rate by the CPU time the broker process used in the window "
            "(from /proc), which stays meaningful when other load shares the cores. \"lost\" counts messages "
            "not delivered 2 s after the publishers stopped. Generator CPU is in cores (1.0 = one core busy).\n\n"
            + table(rows) + "\n")
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    if a.check:
        problems = check(rows)
        for problem in problems:
            print("bench smoke: " + problem, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
