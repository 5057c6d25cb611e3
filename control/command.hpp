// A command to one device that waits for it (issue 14, /api/v1/commands):
// the record, its status rules and its two JSON forms (the REST view, and
// the item stored in the durable store's "commands" queue). Pure: no broker,
// no clock, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "control/request_service.hpp"

namespace mqgate::control {

// queued -> sent -> acked -> replied; expired or cancelled instead.
enum class CommandStatus { queued, sent, acked, replied, expired, cancelled };
const char* to_string(CommandStatus status) noexcept;
std::optional<CommandStatus> parse_command_status(std::string_view text) noexcept;

struct CommandReply {
    std::string topic;
    std::string payload;
    std::uint8_t qos = 0;
    std::int64_t ts_ms = 0;
};

struct Command {
    std::uint64_t seq = 0;  // the store's item seq: orders the list, survives restarts
    // exchange.request_id is the command's id; exchange.client_id the device;
    // exchange.topic and response_topic ("" = none) with placeholders replaced.
    Exchange exchange;
    bool retain = false;
    std::int64_t created_ms = 0;
    std::int64_t expires_ms = 0;  // created + ttl_s: not done by then -> expired
    CommandStatus status = CommandStatus::queued;
    struct Change {
        CommandStatus status;
        std::int64_t ts_ms;
    };
    std::vector<Change> history;  // every status taken, oldest first (queued included)
    std::optional<CommandReply> reply;

    const std::string& id() const noexcept { return exchange.request_id; }
};

// Nothing more will happen to it: replied, expired, cancelled; acked when no
// reply is awaited; sent for QoS 0 when no reply is awaited (QoS 0 has no ack).
bool is_done(const Command& command) noexcept;
// Moves to `status` at `ts_ms` and records it in the history.
void set_status(Command& command, CommandStatus status, std::int64_t ts_ms);

// The REST view: id, clientid, topic, payload, encoding, qos, retain,
// response_topic, correlation, status, created/expires (RFC 3339 + _ms),
// history [{status, time, ts}], reply.
nlohmann::json command_json(const Command& command);

// The stored item: everything, the payload base64 so any bytes survive.
std::string encode_command(const Command& command);
// nullopt for an item this version does not read (it is then skipped).
std::optional<Command> decode_command(std::string_view data, std::uint64_t seq);

}  // namespace mqgate::control
