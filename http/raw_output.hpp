// What a stream on the TCP path (sse_raw_stream.hpp, ws_raw_stream.hpp) has
// still to write, and the non-blocking write of it.
#pragma once

#include <cstddef>
#include <string>

#include "mqtt/net/raw_tcp_stream.hpp"

namespace mqgate::http {

struct RawOutput {
    enum class Result { drained, blocked, failed };

    // Writes as much as the socket takes. drained: all written (the buffer is
    // empty, its memory kept) and the socket not watched for writability;
    // blocked: the rest waits until the socket reports EPOLLOUT (watched
    // now); failed: the connection is broken.
    Result flush(net::RawTcpStream& socket);
    std::size_t unsent() const noexcept { return bytes.size() - written; }
    // Gives back the buffer's memory (the stream is idle).
    void release() { std::string().swap(bytes); }

    std::string bytes;  // from `written` on: not yet written
    std::size_t written = 0;
};

}  // namespace mqgate::http
