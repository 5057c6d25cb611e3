// POST /api/v1/requests (issue 14): publish to devices and answer with their
// reply. The HTTP answer waits asynchronously (Router::add_async); the work
// is control::RequestService's, the JSON shape control/request_json's.
#include "control/request_json.hpp"
#include "control/request_service.hpp"
#include "http/api.hpp"
#include "http/api_util.hpp"
#include "http/request_acl.hpp"

namespace mqgate::http {
void add_request_routes(Router& router, const ApiContext& context) {
    router.add_async("POST", "/api/v1/requests", [requests = context.requests](const Call& call, Reply reply) -> Cancel {
        if (!requests) {
            reply(error_response(503, "unavailable", "requests to devices are not served here"));
            return nullptr;
        }
        auto body = read_json_body(call);
        if (body.error) {
            reply(std::move(*body.error));
            return nullptr;
        }
        auto planned = control::plan_request(body.value, requests->limits());
        if (planned.refusal) {
            reply(error_response(planned.refusal->status, planned.refusal->code, planned.refusal->message));
            return nullptr;
        }
        if (auto denial = request_acl_denial(call.caller, planned.plan)) {
            reply(error_response(403, "forbidden", *denial));
            return nullptr;
        }
        auto exchanges = planned.plan.exchanges;
        // The answer needs the ids and topics, not the payloads.
        for (auto& e : planned.plan.exchanges) e.payload.clear();
        auto plan = std::make_shared<const control::Plan>(std::move(planned.plan));
        auto batch = requests->start(std::move(exchanges), plan->timeout, plan->wait_for_connect,
                                     [plan, reply](std::vector<control::Outcome> outcomes) {
                                         const auto a = control::answer(*plan, outcomes);
                                         reply(json_response(a.status, a.body));
                                     });
        if (!batch) {
            reply(error_response(429, "too_many_requests",
                                 "more than requests.max_pending (" + std::to_string(requests->limits().max_pending) +
                                     ") device requests would be waiting"));
            return nullptr;
        }
        return [batch] { control::RequestService::cancel(batch); };
    });
}

}  // namespace mqgate::http
