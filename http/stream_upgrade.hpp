// Internal: the HTTP session hands a request for one of Streams' endpoints
// over with its connection (no response queued or in flight).
#pragma once


#include "http/stream_transport.hpp"
#include "http/streams.hpp"
#include "net/flex_stream.hpp"

namespace mqgate::http {

void take_over(const Streams& streams, net::FlexStream stream, StreamRequest request);

}  // namespace mqgate::http
