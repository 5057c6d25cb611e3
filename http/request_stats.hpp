// Process-wide count of HTTP responses by status code, for /metrics. Every
// server adds to the same counters, so the metric covers all listeners.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace mqgate::http {

void count_response(int status) noexcept;
// (status, count) for every status answered at least once, ascending.
std::vector<std::pair<int, std::uint64_t>> response_counts();

}  // namespace mqgate::http
