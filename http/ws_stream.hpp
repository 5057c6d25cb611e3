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

// Null when the request was refused (426: no upgrade).
std::shared_ptr<StreamTransport> start_ws_stream(net::FlexStream stream, StreamRequest request,
                                                 const std::shared_ptr<StreamHub>& hub, events::EventLog& events,
                                                 const StreamOptions& options, Caller caller);

}  // namespace mqgate::http
