// Internal: what a request for a stream endpoint must pass before the
// endpoint takes its connection.
#pragma once

#include <optional>
#include <string_view>

#include "http/router.hpp"
#include "http/stream_transport.hpp"
#include "http/streams.hpp"

namespace mqgate::http {

// In order: the Origin allow-list for every WebSocket upgrade (/mqtt too; a
// request without Origin is not from a browser and passes), then the
// credentials for the JSON stream and SSE (MQTT over WebSocket authenticates
// with CONNECT), then SSE's `filter`s against the caller's ACL. nullopt:
// admitted, with `caller` set.
std::optional<Response> admit_stream(const StreamOptions& options, std::string_view path, const StreamRequest& request,
                                     Caller& caller);

}  // namespace mqgate::http
