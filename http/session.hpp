// One HTTP/1.1 connection (internal to http/; includes Beast). Lives on one
// io_context; every handler holds it by shared_from_this.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/options.hpp"
#include "http/router.hpp"
#include "http/streams.hpp"
#include "net/flex_stream.hpp"

namespace mqgate::http {

// What every session of one server shares; sessions keep it alive.
struct SessionContext {
    ServerOptions options;
    Router router;
    std::atomic<bool> ready{false};  // /readyz
    std::atomic<bool> loading{false};  // the broker's state is still being loaded: probes only
    std::shared_ptr<const Streams> streams;  // /mqtt and the JSON streams take the connection (may be null)
};

// The router's view of a parsed request; takes the body. A pure function, so
// the HTTP fuzz target (tests/fuzz/http_fuzz.cpp) drives it without a socket.
Request to_request(boost::beast::http::request<boost::beast::http::string_body>& message);

class Session : public std::enable_shared_from_this<Session> {
public:
    // For https, `stream` is TLS with its handshake still to do.
    Session(net::FlexStream&& stream, std::shared_ptr<const SessionContext> context);

    void start();
    // Thread-safe: closes the socket on the session's own thread.
    void close();

private:
    struct Outgoing {
        std::string bytes;
        bool close_after = false;
        bool interim = false;  // "100 Continue": not counted against max_pipelined
        // An asynchronous route's answer still to come (Router::start):
        // holds its place so pipelined answers keep their order.
        std::uint64_t awaited = 0;  // 0 = bytes are ready
        unsigned version = 11;
        bool head = false;
        Cancel cancel;

        static Outgoing ready(std::string bytes, bool close_after, bool interim) {
            Outgoing o;
            o.bytes = std::move(bytes);
            o.close_after = close_after;
            o.interim = interim;
            return o;
        }
    };

    void handshake();
    void wait_for_request();
    void read_header();
    bool read_failed(boost::beast::error_code ec);
    void on_header(boost::beast::error_code ec);
    // Answers a request on its header alone; a body still unread closes the connection.
    void answer_without_body(const Response& response);
    void read_body();
    void on_body(boost::beast::error_code ec);
    void handle_request();
    // An asynchronous answer came (on this session's thread).
    void answered(std::uint64_t awaited, Response response);
    bool awaiting_answer() const;
    // The peer is gone: abandon the answers still to come and everything
    // queued behind them.
    void cancel_awaited();
    // While an answer is awaited the next request's first byte is awaited
    // without a deadline (the peer's close cancels the work); once none is,
    // this timer gives that wait the idle timeout back.
    void start_idle_timer();
    // Once request_'s credentials are checked: refuses it on its header, hands
    // a stream to Streams, or reads the body; `stream_refusal`: a stream's
    // credentials were refused.
    void admit(std::optional<Response> stream_refusal);
    // Gives the connection to Streams (WebSocket upgrade or SSE).
    void hand_over();
    // Queues a parse error's answer and stops reading.
    void fail_request(boost::beast::error_code ec);
    void queue(const Response& response, bool keep_alive, unsigned version, bool head = false);
    void queue_raw(Outgoing outgoing);
    void stop_reading(boost::beast::error_code ec);
    void write_next();
    void on_write(boost::beast::error_code ec);
    void shutdown_and_drain();
    void drain();
    boost::beast::tcp_stream& tcp() noexcept { return stream_.next_layer(); }

    // After hand_over() stream_ is moved from: close() uses executor_.
    net::FlexStream stream_;
    const net::FlexStream::executor_type executor_;
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<const SessionContext> context_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    Request request_;  // the request being read, admitted on its header
    Router::Admission admission_;
    std::deque<Outgoing> outgoing_;
    std::size_t responses_queued_ = 0;  // outgoing_ minus interim answers
    std::uint64_t last_awaited_ = 0;
    bool untimed_read_ = false;  // the first-byte read runs without a deadline
    boost::asio::steady_timer idle_timer_;
    std::chrono::steady_clock::time_point header_deadline_;
    bool reading_ = false;
    bool checking_ = false;  // a password of the current request is being verified
    bool writing_ = false;
    bool closing_ = false;  // read no more: a closing response is queued, or the peer is gone
    bool draining_ = false;
    bool first_request_ = true;
    bool handed_over_ = false;
    std::size_t drained_ = 0;
};

}  // namespace mqgate::http
