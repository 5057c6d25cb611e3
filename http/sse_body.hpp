// What an SSE response (GET /api/v1/stream/sse) sends after its header, and
// how its stream is set up, shared by its two drivers: sse_raw_stream.cpp
// (http://, on the TCP path's epoll set) and sse_stream.cpp (https://,
// through Beast and OpenSSL). The body is text/event-stream blocks in HTTP/1.1
// chunks, through one gzip stream when the client accepts it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/deflate.hpp"
#include "http/stream_core.hpp"

namespace mqgate::http {

// What the query asked for.
struct SseRequest {
    std::vector<std::pair<std::string, std::uint8_t>> filters;
    EventMask events;
    std::optional<std::uint64_t> last_event_id;
};

// Subscribes `core` to the request's filters and events. Their retained
// messages and replayed events are queued by the time it returns.
void start_sse_core(StreamCore& core, const SseRequest& request);

class SseBody {
public:
    // `gzip`: the client accepts gzip and compression is on (`level` 1..9).
    SseBody(bool gzip, int level);

    enum class Fill { idle, more, failed };
    // Appends the items `core` has queued to `out` as one chunk, until about
    // a batch is unsent (`unsent`: bytes of `out` not yet written). idle: the
    // queue is empty and `core` wakes the driver when more comes; more: the
    // batch is full and more may wait; failed: zlib failed, the stream must
    // be cut.
    Fill fill(StreamCore& core, std::string& out, std::size_t unsent);
    // Text (a comment) as one chunk; false when zlib failed.
    bool append(std::string_view text, std::string& out);
    // The last chunks: a "close" event saying why, the gzip trailer, the
    // zero-length chunk that ends the response.
    bool append_close(int code, std::string_view reason, std::string& out);
    // Gives back the buffers' memory (the stream is idle).
    void release();

    bool gzip() const noexcept { return gzip_ != nullptr; }

private:
    void append_event(const StreamItem& item);
    bool append_body(std::string_view data, std::string& out);
    static void append_chunk(std::string_view data, std::string& out);

    const std::unique_ptr<Deflater> gzip_;
    std::string packed_;  // body text, compressed
    std::string events_;  // the events of the chunk being made
};

}  // namespace mqgate::http
