// GET /api/v1/events: the event log's ring buffer, read forward by sequence.
#include <charconv>

#include "events/event_json.hpp"
#include "events/event_log.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"

namespace mqgate::http {

void add_event_routes(Router& router, const ApiContext& context) {
    events::EventLog& log = context.events;

    router.add("GET", "/api/v1/events", [&log](const Call& call) {
        std::uint64_t since = 0;
        if (const auto* text = call.query_param("since")) {
            const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), since);
            if (ec != std::errc{} || ptr != text->data() + text->size() || text->empty())
                return error_response(400, "invalid_since", "'since' must be a non-negative integer sequence number");
        }
        std::size_t limit = 100;
        if (const auto* text = call.query_param("limit")) {
            const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
            if (ec != std::errc{} || ptr != text->data() + text->size() || text->empty() || limit < 1 ||
                limit > max_page_limit)
                return error_response(400, "invalid_limit",
                                      "'limit' must be an integer from 1 to " + std::to_string(max_page_limit));
        }
        const auto events = log.since(since, limit);
        auto data = nlohmann::json::array();
        for (const auto& e : events) data.push_back(events::event_to_json(e.seq, e.event));
        // next_since: pass it back as ?since= to continue where this page ended.
        const std::uint64_t next = events.empty() ? since : events.back().seq;
        return json_response(200, {{"data", std::move(data)},
                                   {"meta",
                                    {{"since", since},
                                     {"limit", limit},
                                     {"count", events.size()},
                                     {"next_since", next},
                                     {"last_seq", log.last_seq()},
                                     {"capacity", log.capacity()}}}});
    });
}

}  // namespace mqgate::http
