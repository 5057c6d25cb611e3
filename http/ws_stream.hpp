// The JSON stream over WebSocket (/api/v1/stream): text messages carry the
// ops and StreamCore's items, one JSON object each.
#pragma once

#include <memory>

#include "http/stream_transport.hpp"
#include "http/streams.hpp"

namespace mqgate::events {
class EventLog;
}

namespace mqgate::http {

class StreamHub;

// Refuses a request without an upgrade (426). `remember` is given the
// stream when it starts, and again its TCP-path successor after the handshake.
void start_ws_stream(net::FlexStream stream, StreamRequest request, const std::shared_ptr<StreamHub>& hub,
                     events::EventLog& events, const StreamOptions& options, Caller caller, RememberStream remember);

}  // namespace mqgate::http
