// /api/v1/webhooks (README "Webhooks"): each webhook with its counts, and the
// events it gave up. The JSON shapes are webhooks::WebhookService's.
#include "http/api.hpp"
#include "http/router.hpp"
#include "webhooks/service.hpp"

namespace mqgate::http {

void add_webhook_routes(Router& router, const ApiContext& context) {
    const webhooks::WebhookService* service = context.webhooks;

    router.add("GET", "/api/v1/webhooks", [service](const Call&) {
        if (!service) return json_response(200, {{"data", nlohmann::json::array()},
                                                 {"meta", {{"page", 1}, {"limit", 0}, {"count", 0}}}});
        return json_response(200, service->list_json());
    });

    router.add("GET", "/api/v1/webhooks/{name}/failed", [service](const Call& call) {
        const std::string& name = *call.param("name");
        auto failed = service ? service->failed_json(name) : std::nullopt;
        if (!failed) return error_response(404, "webhook_not_found", "no webhook named '" + name + "'");
        return json_response(200, *failed);
    });
}

}  // namespace mqgate::http
