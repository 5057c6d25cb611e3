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
    // Called on each sweep: gives back the buffer's memory when nothing was
    // written since the last sweep, so an idle stream holds no buffer while a
    // busy one keeps its capacity from batch to batch (growing a string to
    // 64 KiB again for every batch would cost a dozen copies). True when it
    // did.
    bool release_if_idle();

    std::string bytes;  // from `written` on: not yet written
    std::size_t written = 0;

private:
    bool wrote_ = false;  // flush() wrote since the last sweep
};

}  // namespace mqgate::http
