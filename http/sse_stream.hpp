// The JSON stream as Server-Sent Events (GET /api/v1/stream/sse): the
// subscriptions and event filter come from the query; messages and events
// are written as they arrive, in a chunked text/event-stream response.
#pragma once

#include <memory>

#include "http/stream_transport.hpp"
#include "http/streams.hpp"

namespace mqgate::events {
class EventLog;
}

namespace mqgate::http {

class StreamHub;

// Null when the request was refused (400 with the JSON error: bad filter,
// event name or Last-Event-ID; 405 for a method other than GET).
std::shared_ptr<StreamTransport> start_sse_stream(net::FlexStream stream, StreamRequest request,
                                                  const std::shared_ptr<StreamHub>& hub, events::EventLog& events,
                                                  const StreamOptions& options);

}  // namespace mqgate::http
