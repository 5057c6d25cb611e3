#!/usr/bin/env bash
# Messages per second through one bridge, A -> upstream -> B, mqgate against
# Mosquitto's bridge doing the same, on loopback (issue 16). The upstream is
# Mosquitto in both runs; publishers connect to node A, subscribers to node B,
# and mqgate-bench's fan-in QoS 1 flow counts what B's subscriber gets.
#
#   mqgate:    A, B = mqgate (storage memory), each with a "bridges" entry
#              {"filter": "bench/#", "direction": "both", "qos": 1}
#   mosquitto: A, B = mosquitto, each with "connection up / topic bench/# both 1"
#
# Usage: bench/bridge_bench.sh --mqgate PATH --bench PATH [--duration S] [--rounds N] [--smoke]
# Prints one line per broker and round, then the medians and their ratio.
# --smoke (ctest bench.bridge_smoke): one short round of mqgate alone,
# failing if its bridges lost a message; no speed is asserted.
set -euo pipefail

mqgate_bin=""
bench_bin=""
duration=5
rounds=3
smoke=0
brokers="mqgate mosquitto"
while (($#)); do
  case $1 in
    --mqgate) mqgate_bin=$2; shift ;;
    --bench) bench_bin=$2; shift ;;
    --duration) duration=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --smoke) smoke=1; rounds=1; duration=1; brokers=mqgate ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bridge_bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $mqgate_bin && -x $bench_bin ]] || { echo "bridge_bench: --mqgate and --bench are required" >&2; exit 2; }

work=$(mktemp -d /tmp/mqgate-bridge-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (bounded) until something accepts TCP connections on the port.
wait_port() {
  for _ in $(seq 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bridge_bench: nothing listens on $1" >&2
  exit 1
}

# Waits (bounded) until the bridges carry a message from A to B: both are
# connected and subscribed upstream, whichever broker runs them.
wait_crossing() {  # port_a port_b
  mosquitto_sub -h 127.0.0.1 -p "$2" -t bench/ready -q 1 -C 1 -W 20 >/dev/null &
  local sub=$!
  for _ in $(seq 200); do
    mosquitto_pub -h 127.0.0.1 -p "$1" -t bench/ready -m up -q 1
    kill -0 "$sub" 2>/dev/null || { wait "$sub" && return 0; break; }
    sleep 0.1
  done
  echo "bridge_bench: no message crossed from A to B" >&2
  exit 1
}

mosquitto_conf() {  # name port [upstream_port]
  local conf=$work/$1.conf
  {
    echo "listener $2 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    [[ $(id -u) == 0 ]] && echo "user root"
    if (($# == 3)); then
      echo "connection up-$1"
      echo "address 127.0.0.1:$3"
      echo "topic bench/# both 1"
      echo "cleansession true"
    fi
  } >"$conf"
  echo "$conf"
}

start_mosquitto() {  # name port [upstream_port]
  mosquitto -c "$(mosquitto_conf "$@")" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_port "$2"
}

start_mqgate() {  # name port upstream_port
  cat >"$work/$1.json" <<JSON
{"node_name": "$1", "storage": {"backend": "memory"}, "log_level": "warn",
 "bridges": [{"name": "up", "addresses": ["127.0.0.1:$3"], "clean_session": true,
              "topics": [{"filter": "bench/#", "direction": "both", "qos": 1}]}]}
JSON
  "$mqgate_bin" --config "$work/$1.json" --bind 127.0.0.1 --mqtt-port "$2" --http-port 0 >"$work/$1.out" 2>"$work/$1.log" &
  pids+=($!)
  wait_port "$2"
}

run_round() {  # broker
  local up a b
  up=$(free_port); a=$(free_port); b=$(free_port)
  start_mosquitto upstream "$up"
  if [[ $1 == mqgate ]]; then
    start_mqgate a "$a" "$up"
    start_mqgate b "$b" "$up"
  else
    start_mosquitto a "$a" "$up"
    start_mosquitto b "$b" "$up"
  fi
  wait_crossing "$a" "$b"
  "$bench_bin" fanin-qos1 --port "$a" --sub-port "$b" --duration "$duration" --publishers 16 \
    --filter 'bench/#' 2>"$work/bench.err" | tail -1
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

declare -A rates
for ((r = 1; r <= rounds; ++r)); do
  for broker in $brokers; do
    line=$(run_round "$broker")
    rate=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(round(d["rate"]), d.get("lost", 0))' "$line")
    echo "$broker round $r: ${rate% *} msg/s, lost ${rate#* }"
    if ((smoke)) && [[ $broker == mqgate && ${rate#* } != 0 ]]; then
      echo "bridge_bench: mqgate's bridges lost messages" >&2
      exit 1
    fi
    rates[$broker]+="${rate% *} "
  done
done
((smoke)) && exit 0
python3 - "${rates[mqgate]}" "${rates[mosquitto]}" <<'PY'
import statistics, sys
m, q = (statistics.median(map(float, a.split())) for a in sys.argv[1:3])
print(f"median: mqgate {m:.0f} msg/s, mosquitto {q:.0f} msg/s, ratio {m / q:.2f}")
PY
