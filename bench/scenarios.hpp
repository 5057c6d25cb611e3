// The scenarios. Each takes the common settings and its own flags and returns
// one JSON object of results.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/args.hpp"
#include "bench/harness.hpp"

namespace mqgate::bench {

nlohmann::json run_fanin(const Common& c, Args& a, int qos);
nlohmann::json run_fanout(const Common& c, Args& a);
nlohmann::json run_latency(const Common& c, Args& a);
nlohmann::json run_large(const Common& c, Args& a);
nlohmann::json run_idle(const Common& c, Args& a);
nlohmann::json run_retained(const Common& c, Args& a);
nlohmann::json run_http_publish(const Common& c, Args& a);
nlohmann::json run_requests(const Common& c, Args& a);
nlohmann::json run_webhooks(const Common& c, Args& a);
nlohmann::json run_ws_fanout(const Common& c, Args& a);
nlohmann::json run_ws_throughput(const Common& c, Args& a);

}  // namespace mqgate::bench
