// /api/v1/bridges (README "Bridges"): each bridge with its state and counts.
// The JSON shape is bridge::BridgeService's.
#include "bridge/service.hpp"
#include "http/api.hpp"
#include "http/router.hpp"

namespace mqgate::http {

void add_bridge_routes(Router& router, const ApiContext& context) {
    router.add("GET", "/api/v1/bridges", [service = context.bridges](const Call&) {
        if (!service) return json_response(200, {{"data", nlohmann::json::array()},
                                                 {"meta", {{"page", 1}, {"limit", 0}, {"count", 0}}}});
        return json_response(200, service->list_json());
    });
}

}  // namespace mqgate::http
