// The stream endpoints in the router: the HTTP session hands their requests
// to Streams (http/streams.hpp) before routing, so these answer only where no
// Streams is installed. They keep the routes listed with the others (and in
// the OpenAPI document, which the tests check against the router).
#include "http/api.hpp"
#include "http/router.hpp"

namespace mqgate::http {

void add_stream_routes(Router& router, const ApiContext&) {
    for (const char* path : {"/mqtt", "/api/v1/stream", "/api/v1/stream/sse"}) {
        router.add("GET", path, [](const Call&) {
            return error_response(503, "streams_unavailable", "this listener serves no WebSocket or SSE streams");
        });
    }
}

}  // namespace mqgate::http
