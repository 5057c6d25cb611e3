#include "http/ws_raw_stream.hpp"

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "http/raw_output.hpp"
#include "mqtt/net/deadline_sweeper.hpp"
#include "mqtt/net/ws_framing.hpp"
#include "net/epoll_set.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = net::DeadlineSweeper::Clock;

constexpr std::uint8_t op_ping = 0x9;
// RFC 6455 7.4.1.
constexpr std::uint16_t going_away = 1001, policy_error = 1008, too_big = 1009;

// Threading: everything but shutdown() and the core's wake and overflow runs
// on the socket's thread (on_ready, check, posted work); those only post.
class RawWsStream final : public StreamTransport,
                          public PostedSignals<RawWsStream>,
                          public net::EpollSet::Handler,
                          public net::DeadlineSweeper::Watched,
                          public std::enable_shared_from_this<RawWsStream> {
public:
    RawWsStream(net::RawTcpStream socket, const StreamOptions& options)
        : socket_(std::move(socket)),
          deframer_(net::WsDeframer::Mode::messages),
          max_message_(options.ws_max_message_size),
          idle_timeout_(options.ws_idle_timeout),
          close_grace_(options.close_grace) {}

    void start(const std::shared_ptr<StreamHub>& hub, events::EventLog& events, const StreamOptions& options,
               Caller caller) {
        core_ = make_stream_core(shared_from_this(), hub, events, options);
        core_->restrict_to(std::move(caller));
        core_->serve_requests(options.requests);
        if (socket_.watch(shared_from_this())) return finish();
        net::DeadlineSweeper::of(executor()).add(weak_from_this());
        heard_ = Clock::now();
    }

    net::RawTcpStream::executor_type executor() const noexcept { return socket_.get_executor(); }

    void shutdown() override {
        // Now, while the broker and event log exist; the close handshake follows.
        core_->close();
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->begin_close(going_away, "server shutting down"); });
    }

    // Writes what is pending and what the core has queued (the core's wake).
    void write_next() {
        if (finished_) return;
        bool more = false;
        if (!closing_) {
            StreamItem item;
            while (!(more = out_.unsent() >= max_write_batch) && core_->next(item))
                net::append_ws_text(out_.bytes, *item.json);
        }
        // Blocked: the rest when the peer reads; the core's items wait in its queue.
        const auto flushed = out_.flush(socket_);
        if (flushed == RawOutput::Result::blocked) return;
        if (flushed == RawOutput::Result::failed) return finish();
        // Both closes are sent (or the peer broke the protocol): done.
        if (close_sent_ && (deframer_.closed() || deframer_.error() != net::WsError::none)) return finish();
        if (more) {
            // The next batch after the thread's other work.
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
        }
    }

    void on_overflow() { begin_close(policy_error, "send queue over its limit (slow consumer)"); }

    void on_ready(std::uint32_t events) override {
        if (finished_) return;  // released, its last events still in the batch
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read();
        if (events & EPOLLOUT) write_next();
    }

    // The sweeper's tick: a ping after half the idle timeout without a
    // frame from the peer, the close after all of it (as Beast's
    // keep-alive pings do); a closing stream is cut after its grace.
    void check(Clock::time_point now) override {
        if (finished_) return;
        out_.release_if_idle();
        if (closing_) {
            if (now >= close_by_) finish();
            return;
        }
        if (now - heard_ >= idle_timeout_) {
            LOG_DEBUG("stream: nothing from the peer for " << idle_timeout_.count() << " ms; closing");
            return finish();
        }
        if (!pinged_ && now - heard_ >= idle_timeout_ / 2) {
            pinged_ = true;
            net::append_ws_control(out_.bytes, op_ping, {});
            write_next();
        }
    }

private:
    void read() {
        // The thread's buffer, not the stream's: an idle stream holds none.
        thread_local std::array<char, 16 * 1024> buffer;
        for (int round = 0; round < 16; ++round) {
            error_code ec;
            const std::size_t n = socket_.read_some(buffer.data(), buffer.size(), ec);
            if (ec == asio::error::would_block) break;
            if (ec) return finish();
            heard_ = Clock::now();
            pinged_ = false;
            if (!take(buffer.data(), n)) break;
        }
        write_next();
    }

    // The frames in data[0, n): each whole message goes to the core. False
    // once nothing more is read (closed, a protocol error).
    bool take(char* data, std::size_t n) {
        std::string replies;
        while (n > 0 && !deframer_.closed() && deframer_.error() == net::WsError::none) {
            std::size_t payload = 0;
            bool ended = false;
            const std::size_t used = deframer_.feed_message(data, n, replies, payload, ended);
            data += used;
            n -= used;
            // Closing: what the peer still sends is read for its close only.
            if (closing_) continue;
            if (message_.size() + payload > max_message_) {
                std::string().swap(message_);
                out_.bytes += replies;  // pongs so far
                replies.clear();
                begin_close(too_big, "message too big");
                continue;
            }
            message_.append(data - used, payload);
            if (ended) {
                core_->handle(message_);
                message_.clear();
                if (message_.capacity() > 4096) std::string().swap(message_);
            }
        }
        // Pongs, and the answer to a close or a protocol error, after what is
        // queued; after this side's close frame nothing more is sent (no pong,
        // no second close in answer to the peer's).
        if (!close_sent_) out_.bytes += replies;
        if (deframer_.closed() || deframer_.error() != net::WsError::none) {
            if (deframer_.error() != net::WsError::none)
                LOG_DEBUG("stream: " << net::to_string(deframer_.error()) << "; closing");
            stop(Clock::now());
            close_sent_ = true;  // the answer is in replies, or this side's close went before
            return false;
        }
        return true;
    }

    // Nothing more is taken from the core; the socket is cut at close_by_.
    void stop(Clock::time_point now) {
        if (!closing_) close_by_ = now + close_grace_;
        closing_ = true;
        core_->close();
    }

    // This side's close: a close frame after what is queued, then the peer's
    // answer (or close_grace) before the socket is cut.
    void begin_close(std::uint16_t code, const char* reason) {
        if (closing_ || finished_) return;
        LOG_INFO("stream: closing (" << code << ": " << reason << ')');
        stop(Clock::now());
        net::append_ws_close(out_.bytes, code, reason);
        close_sent_ = true;
        write_next();
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        core_->close();
        error_code ignored;
        socket_.shutdown(asio::socket_base::shutdown_both, ignored);
        socket_.close(ignored);  // leaves the set, which let go of this
    }

    net::RawTcpStream socket_;
    net::WsDeframer deframer_;
    std::shared_ptr<StreamCore> core_;
    std::string message_;       // the client's message being read
    RawOutput out_;             // frames not yet written
    const std::size_t max_message_;
    const std::chrono::milliseconds idle_timeout_;
    const std::chrono::milliseconds close_grace_;
    Clock::time_point heard_;     // the last bytes from the peer
    Clock::time_point close_by_;  // closing: when the socket is cut
    bool pinged_ = false;         // a ping went out since the peer was last heard
    bool closing_ = false;
    bool close_sent_ = false;     // a close frame is queued or written
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<StreamTransport> start_raw_ws_stream(net::RawTcpStream socket, const std::shared_ptr<StreamHub>& hub,
                                                     events::EventLog& events, const StreamOptions& options,
                                                     Caller caller) {
    auto ws = std::make_shared<RawWsStream>(std::move(socket), options);
    ws->start(hub, events, options, std::move(caller));
    return ws;
}

}  // namespace mqgate::http
