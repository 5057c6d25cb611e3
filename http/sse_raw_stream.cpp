#include "http/sse_raw_stream.hpp"

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "http/raw_output.hpp"
#include "mqtt/net/deadline_sweeper.hpp"
#include "net/epoll_set.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = net::DeadlineSweeper::Clock;

// Threading: everything but shutdown() and the core's wake and overflow runs
// on the socket's thread (on_ready, check, posted work); those two only post.
class RawSseStream final : public StreamTransport,
                           public PostedSignals<RawSseStream>,
                           public net::EpollSet::Handler,
                           public net::DeadlineSweeper::Watched,
                           public std::enable_shared_from_this<RawSseStream> {
public:
    RawSseStream(net::RawTcpStream socket, bool gzip, const StreamOptions& options)
        : socket_(std::move(socket)),
          body_(gzip, options.compression_level),
          keepalive_(options.sse_keepalive),
          close_grace_(options.close_grace) {}

    void start(std::string head, const SseRequest& request, const std::shared_ptr<StreamHub>& hub,
               events::EventLog& events, const StreamOptions& options) {
        core_ = make_stream_core(shared_from_this(), hub, events, options);
        out_.bytes = std::move(head);
        body_.append(": mqgate stream\n\n", out_.bytes);
        start_sse_core(*core_, request);
        // Watched for readability from now on: the peer leaving is a read of 0.
        if (socket_.watch(shared_from_this())) return finish();
        net::DeadlineSweeper::of(executor()).add(weak_from_this());
        due_ = Clock::now() + keepalive_;
        write_next();
    }

    net::RawTcpStream::executor_type executor() const noexcept { return socket_.get_executor(); }

    void shutdown() override {
        // Now, while the broker and event log exist; the last chunk follows.
        core_->close();
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->begin_close(1001, "server shutting down"); });
    }

    // Writes what is pending and what the core has queued (the core's wake).
    void write_next() {
        if (finished_) return;
        auto fill = SseBody::Fill::idle;
        if (!closing_) {
            fill = body_.fill(*core_, out_.bytes, out_.unsent());
            if (fill == SseBody::Fill::failed) return finish();
        }
        // Blocked: the rest when the peer reads; the core's items wait in its queue.
        const auto flushed = out_.flush(socket_);
        if (flushed == RawOutput::Result::blocked) return;
        if (flushed == RawOutput::Result::failed || closing_) return finish();
        if (fill == SseBody::Fill::more) {
            // The next batch after the thread's other work.
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
        }
    }

    void on_overflow() { begin_close(1008, "send queue over its limit (slow consumer)"); }

    void on_ready(std::uint32_t events) override {
        if (finished_) return;  // released, its last events still in the batch
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            if (!discard_input()) return finish();
        }
        if (events & EPOLLOUT) write_next();
    }

    // The sweeper's tick: a keepalive comment every period while the stream
    // has nothing else to send; a closing stream is cut after its grace.
    void check(Clock::time_point now) override {
        if (finished_) return;
        if (out_.release_if_idle()) body_.release();
        if (now < due_) return;
        if (closing_) return finish();
        due_ = now + keepalive_;
        // A stalled write needs no keepalive behind it.
        if (out_.unsent() > 0) return;
        if (!body_.append(": keepalive\n\n", out_.bytes)) return finish();
        write_next();
    }

private:
    // Nothing is expected from the client; reading notices when it leaves.
    // What it sends anyway lands in one buffer per thread, never looked at.
    // False once the peer has gone.
    bool discard_input() {
        thread_local std::array<char, 512> discard;
        for (int i = 0; i < 64; ++i) {
            error_code ec;
            socket_.read_some(discard.data(), discard.size(), ec);
            if (ec == asio::error::would_block) return true;
            if (ec) return false;
        }
        return true;  // still more: level-triggered, the set reports it again
    }

    // The last chunk says why, then the response ends; a peer that stopped
    // reading gets close_grace before the socket is cut.
    void begin_close(int code, const char* reason) {
        if (closing_ || finished_) return;
        closing_ = true;
        LOG_INFO("sse: closing stream (" << reason << ')');
        core_->close();
        if (!body_.append_close(code, reason, out_.bytes)) return finish();
        due_ = Clock::now() + close_grace_;
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
    SseBody body_;
    std::shared_ptr<StreamCore> core_;
    RawOutput out_;  // chunks not yet written
    const std::chrono::milliseconds keepalive_;
    const std::chrono::milliseconds close_grace_;
    Clock::time_point due_;     // the next keepalive, or when a closing stream is cut
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<StreamTransport> start_raw_sse(net::RawTcpStream socket, std::string head, const SseRequest& request,
                                               bool gzip, const std::shared_ptr<StreamHub>& hub,
                                               events::EventLog& events, const StreamOptions& options) {
    auto sse = std::make_shared<RawSseStream>(std::move(socket), gzip, options);
    sse->start(std::move(head), request, hub, events, options);
    return sse;
}

}  // namespace mqgate::http
