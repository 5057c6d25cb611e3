// The JSON shape of a request to devices and of its answer, shared by
// POST /api/v1/requests and the JSON stream's "request" op (issue 14).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/request_service.hpp"

namespace mqgate::control {

struct Plan {
    std::vector<Exchange> exchanges;  // one per target, or one
    bool fan_out = false;             // "targets" given: the answer is {"results": [...]}
    std::chrono::milliseconds timeout{10'000};
    std::chrono::milliseconds wait_for_connect{0};
};

struct Refusal {
    int status = 400;
    std::string code;
    std::string message;
};

struct Planned {
    Plan plan;
    std::optional<Refusal> refusal;
};

// Reads a request body: topic, payload, encoding (or payload_encoding), qos
// (default 1), response_topic, timeout_ms (default 10000), wait_for_connect_ms
// (default 0), correlation ("payload:<key>"), targets. Placeholders are
// replaced here, with a fresh request id per exchange, and every resulting
// topic validated.
Planned plan_request(const nlohmann::json& body, const RequestLimits& limits);

struct Answer {
    int status = 200;
    nlohmann::json body;
};
// 200 with the reply, 504 timeout, 404 no_matching_subscribers; with
// targets always 200 {"results": [...]} in target order.
Answer answer(const Plan& plan, const std::vector<Outcome>& outcomes);

}  // namespace mqgate::control
