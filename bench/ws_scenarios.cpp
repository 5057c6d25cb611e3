#include "bench/scenarios.hpp"
namespace mqgate::bench {
nlohmann::json run_ws_fanout(const Common&, Args&) { return {{"scenario", "ws-fanout"}, {"skipped", "todo"}}; }
nlohmann::json run_ws_throughput(const Common&, Args&) { return {{"scenario", "ws-throughput"}, {"skipped", "todo"}}; }
}
