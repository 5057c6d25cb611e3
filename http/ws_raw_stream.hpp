// The JSON stream over plain ws:// on the TCP path (why: net/epoll_set.hpp):
// once Beast has answered the upgrade without permessage-deflate, the socket
// leaves Asio's reactor for its thread's epoll set and ws_framing.hpp reads the
// client's messages and frames the items. One deadline sweeper per thread
// times the pings, the idle close and the close grace. An idle stream holds no
// pending operation, timer or buffer: its StreamCore, the object below and
// the socket's slot in the set. wss:// and compressing streams stay on Beast
// (ws_stream.cpp).
#pragma once

#include <memory>

#include "http/router.hpp"
#include "http/stream_transport.hpp"
#include "http/streams.hpp"
#include "mqtt/net/raw_tcp_stream.hpp"

namespace mqgate::events {
class EventLog;
}

namespace mqgate::http {

class StreamHub;

// `socket`: the handshake is done (no extension agreed).
std::shared_ptr<StreamTransport> start_raw_ws_stream(net::RawTcpStream socket, const std::shared_ptr<StreamHub>& hub,
                                                     events::EventLog& events, const StreamOptions& options,
                                                     Caller caller);

}  // namespace mqgate::http
