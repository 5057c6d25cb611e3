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

// Pieces of a body that requests and commands (command_plan) share. Each
// answers the refusal, or nullopt and sets its output when the key is valid
// (an absent key leaves the output as it was).
std::optional<Refusal> read_qos(const nlohmann::json& body, std::uint8_t& qos);
std::optional<Refusal> read_correlation(const nlohmann::json& body, std::string& payload_key);
// The topic a valid topic name outside $SYS; the response topic ("" = none)
// a valid filter that does not match the topic.
std::optional<Refusal> check_exchange_topics(const Exchange& exchange);
// exchange.payload = `payload`, with the request id put into
// exchange.payload_key when the correlation is "payload:<key>".
std::optional<Refusal> correlate_payload(Exchange& exchange, const std::string& payload);
// {"topic", "payload", "encoding", "qos", "ts"}
nlohmann::json response_json(const mqtt::Message& message);

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
