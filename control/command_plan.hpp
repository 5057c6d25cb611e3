// The body of POST /api/v1/commands read into a Command (issue 14).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <nlohmann/json_fwd.hpp>

#include "control/command.hpp"
#include "control/request_json.hpp"

namespace mqgate::control {

struct CommandLimits {
    std::size_t max_pending = 10'000;       // commands not done at once; over -> 429
    std::uint32_t max_ttl_s = 7 * 86'400;  // largest ttl_s
};
// A command's ttl_s when the body gives none (or max_ttl_s if lower).
inline constexpr std::uint32_t default_ttl_s = 3600;

struct PlannedCommand {
    Command command;
    std::optional<Refusal> refusal;
};

// Reads clientid (required; no '/', '+' or '#': it may become a topic level),
// topic (required), payload, encoding (or payload_encoding), qos (default 1),
// retain (default false), ttl_s (1..max_ttl_s), response_topic (optional)
// and correlation ("payload:<key>"). Gives the command a fresh id, replaces
// {clientid} and {request_id} (the id) in the topics, and sets it queued at
// `now_ms`.
PlannedCommand plan_command(const nlohmann::json& body, const CommandLimits& limits, std::int64_t now_ms);

}  // namespace mqgate::control
