// One JSON-stream (/api/v1/stream) client that subscribes once and counts
// what arrives. It speaks the WebSocket framing by hand (server frames are
// unmasked, so a read of many frames is walked in place): Beast's one read
// per message made the counting clients, not the broker, the limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/roles.hpp"

namespace mqgate::bench {

// What the stream clients of a scenario received, summed over all of them.
struct StreamCounts {
    std::atomic<std::uint64_t> messages{0};
    std::atomic<std::uint64_t> notices{0};  // "dropped" frames
    std::atomic<std::uint64_t> dropped{0};  // the sum of their counts
    std::atomic<std::uint64_t> bytes{0};    // read off the sockets, frames and headers included
};

class StreamClient {
public:
    // `flow` is the closed-loop publisher's: each message adds to its
    // delivered count and wakes it when it waits.
    // `deflate`: offers permessage-deflate, as a browser does, and inflates
    // what comes compressed (the handshake must agree to it).
    StreamClient(asio::io_context& io, Flow& flow, StreamCounts& counts, std::string filter, bool deflate = false);
    ~StreamClient();

    std::atomic<bool> subscribed{false};
    asio::io_context& context() { return io_; }
    void start(const tcp::endpoint& http);

private:
    void read_response();
    void read();
    // Walks the whole frames in in_[0, filled_); keeps a partial one.
    void handle_frames();
    void on_text(std::string_view text);
    // A compressed message's text into inflated_; false on a bad stream.
    bool inflate(std::string_view payload);
    void send(std::uint8_t opcode, std::string_view payload);
    void fail(const char* where, const boost::system::error_code& ec);

    asio::io_context& io_;
    tcp::socket socket_;
    Flow& flow_;
    StreamCounts& counts_;
    std::string filter_;
    std::string request_;
    std::vector<char> in_;
    std::size_t filled_ = 0;
    std::uint64_t messages_ = 0;
    const bool deflate_;
    struct Inflater;
    std::unique_ptr<Inflater> inflater_;  // the handshake agreed to permessage-deflate
    std::string inflated_;
    std::uint64_t notices_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace mqgate::bench
