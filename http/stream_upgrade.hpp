// Internal: the HTTP session hands a request for one of Streams' endpoints
// over with its connection (no response queued or in flight).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "http/stream_transport.hpp"
#include "http/streams.hpp"

namespace mqgate::http {

void take_over(const Streams& streams, boost::asio::ip::tcp::socket socket, StreamRequest request);

}  // namespace mqgate::http
