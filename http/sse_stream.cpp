#include "http/sse_stream.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>

#include "events/event_log.hpp"
#include "http/router.hpp"
#include "http/sse_body.hpp"
#include "http/sse_raw_stream.hpp"
#include "http/stream_core.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

struct Refusal {
    std::string code;
    std::string message;
};

std::optional<std::uint64_t> parse_seq(std::string_view text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// The query is read by hand: "filter" repeats, and '+' is the MQTT wildcard
// here, not a form-encoded space.
std::optional<Refusal> parse_request(const StreamRequest& request, std::size_t max_filters, SseRequest& out) {
    const std::string_view target(request.target().data(), request.target().size());
    const auto q = target.find('?');
    std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    std::optional<std::string> last_event_id;
    std::uint8_t qos = 0;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const auto key = percent_decode(pair.substr(0, eq));
        const auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!key || !value) return Refusal{"invalid_query", "malformed percent-encoding in the query"};
        if (*key == "filter") {
            if (out.filters.size() >= max_filters)
                return Refusal{"too_many_subscriptions", "at most " + std::to_string(max_filters) + " filters"};
            out.filters.emplace_back(*value, 0);
        } else if (*key == "qos") {
            if (*value != "0" && *value != "1" && *value != "2") return Refusal{"invalid_qos", "'qos' must be 0, 1 or 2"};
            qos = static_cast<std::uint8_t>((*value)[0] - '0');
        } else if (*key == "events") {
            if (*value == "1" || *value == "true" || *value == "*" || *value == "all") {
                out.events.set();
                continue;
            }
            if (*value == "0" || *value == "false" || value->empty()) continue;
            std::string_view names = *value;
            while (!names.empty()) {
                const auto comma = names.find(',');
                const auto name = names.substr(0, comma);
                names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
                const auto index = StreamCore::event_index(name);
                if (!index) return Refusal{"invalid_event", "unknown event '" + std::string(name) + "'"};
                out.events.set(*index);
            }
        } else if (*key == "last_event_id") {
            last_event_id = *value;
        }
    }
    // One QoS for every filter: it only decides which messages a slow
    // consumer may lose.
    for (auto& f : out.filters) f.second = qos;
    const auto header = request["Last-Event-ID"];
    if (!header.empty()) last_event_id = std::string(header);
    if (last_event_id) {
        out.last_event_id = parse_seq(*last_event_id);
        if (!out.last_event_id) return Refusal{"invalid_last_event_id", "Last-Event-ID must be an event seq number"};
    }
    return std::nullopt;
}

// The answer's header lines (no blank line yet): the stream follows them
// after GET, nothing after HEAD. `gzip`: the body is one gzip stream.
std::string sse_header(const StreamOptions& options, std::string_view origin, bool gzip) {
    std::string header =
        "HTTP/1.1 200 OK\r\nServer: mqgate\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n";
    if (gzip) header += "Content-Encoding: gzip\r\n";
    if (options.compression) header += "Vary: Accept-Encoding\r\n";
    const auto allow = allowed_origin(options.cors_origins, origin);
    if (!allow.empty()) header += "Access-Control-Allow-Origin: " + allow + "\r\nVary: Origin\r\n";
    return header;
}

// https://: the response through Beast's ssl_stream (plain http:// takes the
// TCP path instead: sse_raw_stream.hpp).
class SseStream final : public StreamTransport,
                        public PostedSignals<SseStream>,
                        public std::enable_shared_from_this<SseStream> {
public:
    SseStream(net::FlexStream stream, const StreamOptions& options, bool gzip)
        : stream_(std::move(stream)),
          body_(gzip, options.compression_level),
          keepalive_period_(options.sse_keepalive),
          close_grace_(options.close_grace),
          keepalive_(stream_.get_executor()),
          grace_(stream_.get_executor()) {}

    void start(std::string head, const SseRequest& req, const std::shared_ptr<StreamHub>& hub,
               events::EventLog& events, const StreamOptions& options) {
        core_ = make_stream_core(shared_from_this(), hub, events, options);
        pending_ = std::move(head);
        body_.append(": mqgate stream\n\n", pending_);
        start_sse_core(*core_, req);
        read();
        arm_keepalive();
        write_next();
    }

    net::FlexStream::executor_type executor() noexcept { return stream_.get_executor(); }

    void shutdown() override {
        // Now, while the broker and event log exist; the last chunk follows.
        core_->close();
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->begin_close(1001, "server shutting down"); });
    }

    // Writes what the core has queued (the core's wake).
    void write_next() {
        if (writing_ || finished_) return;
        if (!closing_ && body_.fill(*core_, pending_, pending_.size()) == SseBody::Fill::failed) return finish();
        if (pending_.empty()) {
            if (closing_) finish();
            return;
        }
        writing_ = true;
        // Swapped, not moved: both buffers keep their capacity for the next batch.
        writing_buffer_.swap(pending_);
        asio::async_write(stream_, asio::buffer(writing_buffer_), [self = shared_from_this()](error_code ec, std::size_t) {
            self->writing_ = false;
            self->writing_buffer_.clear();
            if (ec) return self->finish();
            self->write_next();
        });
    }

    void on_overflow() { begin_close(1008, "send queue over its limit (slow consumer)"); }

private:
    // Nothing is expected from the client; reading notices when it leaves.
    // What it sends anyway lands in one buffer per thread, never looked at, so
    // an idle stream holds none of its own.
    void read() {
        thread_local std::array<char, 512> discard;
        stream_.async_read_some(asio::buffer(discard), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->finish();
            self->read();
        });
    }

    void arm_keepalive() {
        keepalive_.expires_after(keepalive_period_);
        keepalive_.async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->finished_ || self->closing_) return;
            // A stalled write needs no keepalive behind it.
            if (!self->writing_) {
                if (!self->body_.append(": keepalive\n\n", self->pending_)) return self->finish();
                self->write_next();
            }
            self->arm_keepalive();
        });
    }

    // The last chunk says why, then the response ends; a peer that stopped
    // reading gets close_grace before the socket is cut.
    void begin_close(int code, const char* reason) {
        if (closing_ || finished_) return;
        closing_ = true;
        LOG_INFO("sse: closing stream (" << reason << ')');
        core_->close();
        if (!body_.append_close(code, reason, pending_)) return finish();
        keepalive_.cancel();
        grace_.expires_after(close_grace_);
        grace_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->finish();
        });
        write_next();
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        core_->close();
        keepalive_.cancel();
        grace_.cancel();
        auto& socket = stream_.next_layer().socket();
        error_code ignored;
        socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    net::FlexStream stream_;
    SseBody body_;
    const std::chrono::milliseconds keepalive_period_;
    const std::chrono::milliseconds close_grace_;
    std::shared_ptr<StreamCore> core_;
    std::string pending_;         // chunks not yet written
    std::string writing_buffer_;  // the chunks in flight: alive until the write completes
    asio::steady_timer keepalive_;
    asio::steady_timer grace_;
    bool writing_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace

std::shared_ptr<StreamTransport> start_sse_stream(net::FlexStream stream, StreamRequest request,
                                                  const std::shared_ptr<StreamHub>& hub, events::EventLog& events,
                                                  const StreamOptions& options) {
    const auto& broker = hub->broker();
    const bool head = request.method() == bhttp::verb::head;
    if (request.method() != bhttp::verb::get && !head) {
        auto r = error_response(405, "method_not_allowed", "/api/v1/stream/sse answers GET and HEAD only");
        r.headers.emplace_back("Allow", "GET, HEAD");
        refuse(std::move(stream), r);
        return nullptr;
    }
    SseRequest parsed;
    if (auto refusal = parse_request(request, broker.limits().max_subscriptions_per_session, parsed)) {
        refuse(std::move(stream), 400, refusal->code, refusal->message);
        return nullptr;
    }
    for (const auto& f : parsed.filters) {
        const auto& filter = f.first;
        if (mqtt::validate_topic_filter(filter) || mqtt::topic_levels(filter) > broker.limits().max_topic_levels) {
            refuse(std::move(stream), 400, "invalid_filter", "'" + filter + "' is not a valid topic filter");
            return nullptr;
        }
    }
    const bool gzip = options.compression && accepts_gzip(request[bhttp::field::accept_encoding]);
    if (head) {
        // RFC 9110 9.3.2: GET's header without the stream.
        const std::string_view origin = request[bhttp::field::origin];
        send_and_close(std::move(stream), sse_header(options, origin, gzip) + "Connection: close\r\n\r\n");
        return nullptr;
    }
    auto header = sse_header(options, request[bhttp::field::origin], gzip) + "\r\n";
    if (!stream.is_tls()) {
        net::RawTcpStream socket(stream.next_layer().release_socket());
        return start_raw_sse(std::move(socket), std::move(header), parsed, gzip, hub, events, options);
    }
    auto sse = std::make_shared<SseStream>(std::move(stream), options, gzip);
    sse->start(std::move(header), parsed, hub, events, options);
    return sse;
}

}  // namespace mqgate::http
