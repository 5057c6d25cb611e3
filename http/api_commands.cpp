// /api/v1/commands (issue 14): commands that wait for their device. The
// work is control::CommandService's; the JSON shapes control/command's.
#include <chrono>

#include "control/command_plan.hpp"
#include "control/command_service.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "http/request_acl.hpp"

namespace mqgate::http {
namespace {

Response unavailable() { return error_response(503, "unavailable", "commands are not served here"); }

Response unknown_command(const std::string& id) {
    return error_response(404, "command_not_found", "no command with id '" + id + "'");
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

void add_command_routes(Router& router, const ApiContext& context) {
    control::CommandService* commands = context.commands;

    // 202 once the command is stored (committed with durable storage).
    router.add_async("POST", "/api/v1/commands", [commands](const Call& call, Reply reply) -> Cancel {
        if (!commands) {
            reply(unavailable());
            return nullptr;
        }
        auto body = read_json_body(call);
        if (body.error) {
            reply(std::move(*body.error));
            return nullptr;
        }
        auto planned = control::plan_command(body.value, commands->limits(), now_ms());
        if (planned.refusal) {
            reply(error_response(planned.refusal->status, planned.refusal->code, planned.refusal->message));
            return nullptr;
        }
        control::Plan acl_plan;
        acl_plan.exchanges.push_back(planned.command.exchange);
        if (auto denial = request_acl_denial(call.caller, acl_plan)) {
            reply(error_response(403, "forbidden", *denial));
            return nullptr;
        }
        const auto id = planned.command.id();
        const auto added = commands->add(std::move(planned.command), [reply, id](std::error_code ec) {
            if (ec) {
                reply(error_response(503, "storage_failed", "the command was not stored: " + ec.message()));
                return;
            }
            reply(json_response(202, {{"id", id}, {"status", "queued"}}));
        });
        if (added == control::CommandService::AddError::too_many) {
            reply(error_response(429, "too_many_commands",
                                 "more than commands.max_pending (" + std::to_string(commands->limits().max_pending) +
                                     ") commands would be waiting"));
        } else if (added == control::CommandService::AddError::store_refused) {
            reply(error_response(503, "storage_busy", "the store takes no more writes now"));
        }
        // Once handed to the store the command is kept whether or not the caller waits for the answer.
        return nullptr;
    });

    router.add("GET", "/api/v1/commands", [commands](const Call& call) {
        if (!commands) return unavailable();
        const auto paging = read_page(call);
        if (paging.error) return *paging.error;
        std::optional<control::CommandStatus> status;
        if (const auto* text = call.query_param("status")) {
            status = control::parse_command_status(*text);
            if (!status)
                return error_response(400, "invalid_status",
                                      "'status' must be queued, sent, acked, replied, expired or cancelled");
        }
        const auto all = commands->list(call.query_param("clientid"), status);
        auto data = nlohmann::json::array();
        const Page& page = paging.page;
        for (std::size_t i = page.begin(all.size()); i < page.end(all.size()); ++i)
            data.push_back(control::command_json(all[i]));
        return list_response(std::move(data), page, all.size());
    });

    router.add("GET", "/api/v1/commands/{id}", [commands](const Call& call) {
        if (!commands) return unavailable();
        const auto& id = *call.param("id");
        const auto command = commands->get(id);
        if (!command) return unknown_command(id);
        return json_response(200, control::command_json(*command));
    });

    router.add("DELETE", "/api/v1/commands/{id}", [commands](const Call& call) {
        if (!commands) return unavailable();
        const auto& id = *call.param("id");
        control::Command command;
        switch (commands->cancel(id, command)) {
            case control::CommandService::CancelResult::not_found: return unknown_command(id);
            case control::CommandService::CancelResult::already_sent:
                return error_response(409, "command_not_queued",
                                      std::string("command '") + id + "' is " + control::to_string(command.status) +
                                          ": only a queued command can be cancelled");
            case control::CommandService::CancelResult::cancelled: break;
        }
        return json_response(200, control::command_json(command));
    });
}

}  // namespace mqgate::http
