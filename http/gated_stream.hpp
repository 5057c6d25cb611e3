// The next layer of the JSON stream's websocket::stream: a FlexStream whose
// writes take turns. The stream writes its own batches of ready-made frames
// with write() (many frames, one write), while Beast keeps the handshake,
// the reads and its control frames (pong, ping, close). Beast writes a
// control frame with one async_write; here each of its write_some calls
// writes all it is given before it completes, so its frame goes out whole,
// never interleaved with a batch: whichever comes second waits for the
// first. At most one write of each side is outstanding (Beast serializes its
// own; the stream keeps one batch in flight), so each side needs one slot.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include "net/flex_stream.hpp"

namespace mqgate::http {

class GatedStream {
public:
    using executor_type = net::FlexStream::executor_type;
    using next_layer_type = net::FlexStream;
    using Done = std::function<void(boost::system::error_code)>;

    explicit GatedStream(net::FlexStream stream) : stream_(std::move(stream)) {}

    net::FlexStream& next_layer() noexcept { return stream_; }
    executor_type get_executor() noexcept { return stream_.get_executor(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return stream_.async_read_some(buffers, std::forward<Token>(token));
    }

    // Beast's writes: the whole sequence, after a batch in flight.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                std::vector<boost::asio::const_buffer> copy(boost::asio::buffer_sequence_begin(b),
                                                            boost::asio::buffer_sequence_end(b));
                beast_waiting_.emplace(BeastWrite{std::move(copy), std::move(handler)});
                if (!busy_) start_next();
            },
            token, buffers);
    }

    // The stream's batch; `bytes` stays alive until `done` runs.
    void write(boost::asio::const_buffer bytes, Done done) {
        batch_waiting_.emplace(Batch{bytes, std::move(done)});
        if (!busy_) start_next();
    }

    // websocket::stream closes its next layer through these (found by ADL).
    friend void teardown(boost::beast::role_type role, GatedStream& s, boost::system::error_code& ec) {
        teardown(role, s.stream_, ec);
    }
    template <class Handler>
    friend void async_teardown(boost::beast::role_type role, GatedStream& s, Handler&& handler) {
        async_teardown(role, s.stream_, std::forward<Handler>(handler));
    }

private:
    struct BeastWrite {
        std::vector<boost::asio::const_buffer> buffers;
        boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)> handler;
    };
    struct Batch {
        boost::asio::const_buffer bytes;
        Done done;
    };

    // Beast's control frames first: a pong or close should not wait behind
    // a batch that is itself waiting.
    void start_next() {
        if (beast_waiting_) {
            busy_ = true;
            auto w = std::move(*beast_waiting_);
            beast_waiting_.reset();
            // async_write keeps its own copy of the sequence (not the bytes).
            boost::asio::async_write(stream_, w.buffers,
                                     [this, handler = std::move(w.handler)](boost::system::error_code ec,
                                                                           std::size_t n) mutable {
                                         busy_ = false;
                                         start_next();
                                         std::move(handler)(ec, n);
                                     });
        } else if (batch_waiting_) {
            busy_ = true;
            auto batch = std::move(*batch_waiting_);
            batch_waiting_.reset();
            boost::asio::async_write(stream_, batch.bytes,
                                     [this, done = std::move(batch.done)](boost::system::error_code ec, std::size_t) {
                                         busy_ = false;
                                         start_next();
                                         done(ec);
                                     });
        }
    }

    net::FlexStream stream_;
    std::optional<BeastWrite> beast_waiting_;
    std::optional<Batch> batch_waiting_;
    bool busy_ = false;
};

}  // namespace mqgate::http
