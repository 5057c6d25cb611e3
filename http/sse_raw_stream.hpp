// An SSE response over plain http://, on the TCP path (why: net/epoll_set.hpp
// and mqtt/net/deadline_sweeper.hpp): once Beast has read the request, the
// socket leaves Asio's reactor for its thread's epoll set, and one sweeper per
// thread times the keepalive comments and the close grace. An idle response
// then holds no pending operation, timer or buffer of its own: its
// StreamCore, the object below and the socket's slot in the set.
#pragma once

#include <memory>
#include <string>

#include "http/sse_body.hpp"
#include "http/stream_transport.hpp"
#include "http/streams.hpp"
#include "mqtt/net/raw_tcp_stream.hpp"

namespace mqgate::events {
class EventLog;
}

namespace mqgate::http {

class StreamHub;

// Sends `head` (the response's header and blank line), then the stream.
std::shared_ptr<StreamTransport> start_raw_sse(net::RawTcpStream socket, std::string head, const SseRequest& request,
                                               bool gzip, const std::shared_ptr<StreamHub>& hub,
                                               events::EventLog& events, const StreamOptions& options);

}  // namespace mqgate::http
