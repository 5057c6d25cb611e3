#include "http/sse_stream.hpp"

#include <array>
#include <charconv>
#include <memory>
#include <cstdio>
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
#include "http/deflate.hpp"
#include "http/router.hpp"
#include "http/stream_core.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/topic.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

// One write carries at most this much, so a single write stays short.
constexpr std::size_t max_batch_bytes = 64 * 1024;
// The gzip window: 4 KiB holds the recent events, whose keys and topics are what repeats.
constexpr int gzip_window_bits = 12;

struct SseRequest {
    std::vector<std::pair<std::string, std::uint8_t>> filters;
    EventMask events;
    std::optional<std::uint64_t> last_event_id;
};

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

class SseStream final : public StreamTransport, public std::enable_shared_from_this<SseStream> {
public:
    SseStream(net::FlexStream stream, const StreamOptions& options, bool gzip)
        : stream_(std::move(stream)),
          options_(options),
          gzip_(gzip ? std::make_unique<Deflater>(Deflater::Format::gzip, options.compression_level, gzip_window_bits)
                     : nullptr),
          keepalive_(stream_.get_executor()),
          grace_(stream_.get_executor()) {}

    void start(const SseRequest& req, std::string origin, const std::shared_ptr<StreamHub>& hub, events::EventLog& events) {
        const std::weak_ptr<SseStream> weak = weak_from_this();
        auto executor = stream_.get_executor();
        StreamLimits limits{options_.ws_send_queue_bytes, options_.ws_send_queue_frames,
                            hub->broker().limits().max_subscriptions_per_session};
        core_ = std::make_shared<StreamCore>(
            hub, events, limits,
            [weak, executor] {
                asio::post(executor, [weak] {
                    if (auto self = weak.lock()) self->write_next();
                });
            },
            [weak, executor] {
                asio::post(executor, [weak] {
                    if (auto self = weak.lock()) self->begin_close(1008, "send queue over its limit (slow consumer)");
                });
            });

        pending_ = sse_header(options_, origin, gzip_ != nullptr) + "\r\n";
        append_body(": mqgate stream\n\n");
        // Retained messages and replayed events are queued by now and follow
        // the header in order.
        for (const auto& [filter, qos] : req.filters) core_->subscribe(filter, qos);
        if (req.events.any()) core_->enable_events(req.events, req.last_event_id);
        read();
        arm_keepalive();
        write_next();
    }

    void shutdown() override {
        // Now, while the broker and event log exist; the last chunk follows.
        core_->close();
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->begin_close(1001, "server shutting down"); });
    }

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

    // Body text into the next chunk: as it is, or through the gzip stream,
    // flushed so that the client can read every event at once. False (the
    // stream is cut) when zlib fails.
    bool append_body(std::string_view data) {
        if (!gzip_) {
            append_chunk(data);
            return true;
        }
        packed_.clear();
        if (!gzip_->compress(data, packed_)) {
            LOG_WARN("sse: compression failed; closing the stream");
            finish();
            return false;
        }
        append_chunk(packed_);
        return true;
    }

    void append_chunk(std::string_view data) {
        char size[20];
        const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
        pending_.append(size, static_cast<std::size_t>(n));
        pending_.append(data);
        pending_ += "\r\n";
    }

    // One event, into the batch that becomes the next chunk.
    void append_event(const StreamItem& item) {
        switch (item.kind) {
        case StreamItem::Kind::message: events_ += "event: message\n"; break;
        case StreamItem::Kind::event: events_ += "event: event\nid: " + std::to_string(item.seq) + "\n"; break;
        case StreamItem::Kind::dropped: events_ += "event: dropped\n"; break;
        case StreamItem::Kind::reply: events_ += "event: reply\n"; break;
        }
        // JSON from StreamCore has no raw newline, so one data line suffices.
        events_ += "data: ";
        events_ += *item.json;
        events_ += "\n\n";
    }

    void write_next() {
        if (writing_ || finished_) return;
        if (!closing_) {
            // Everything queued (up to a batch) goes out as one chunk in one write.
            StreamItem item;
            while (pending_.size() + events_.size() < max_batch_bytes && core_->next(item)) append_event(item);
            const bool ok = events_.empty() || append_body(events_);
            events_.clear();
            if (!ok) return;
        }
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

    void arm_keepalive() {
        keepalive_.expires_after(options_.sse_keepalive);
        keepalive_.async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->finished_ || self->closing_) return;
            // A stalled write needs no keepalive behind it.
            if (!self->writing_) {
                if (self->append_body(": keepalive\n\n")) self->write_next();
            }
            self->arm_keepalive();
        });
    }

    // The last chunk says why, then the response ends; a peer that stopped
    // reading gets close_grace before the socket is cut.
    void begin_close(int code, const std::string& reason) {
        if (closing_ || finished_) return;
        closing_ = true;
        LOG_INFO("sse: closing stream (" << reason << ')');
        core_->close();
        if (!append_close_event(code, reason)) return;
        if (gzip_) {
            packed_.clear();
            if (gzip_->finish(packed_)) append_chunk(packed_);  // the gzip trailer
        }
        append_chunk("");  // zero-length chunk: end of the response
        keepalive_.cancel();
        grace_.expires_after(options_.close_grace);
        grace_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->finish();
        });
        write_next();
    }

    bool append_close_event(int code, const std::string& reason) {
        std::string text = "event: close\ndata: {\"code\":" + std::to_string(code) + ",\"reason\":\"";
        for (char c : reason) {
            if (c == '"' || c == '\\') text += '\\';
            text += c;
        }
        text += "\"}\n\n";
        return append_body(text);
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
    const StreamOptions options_;
    const std::unique_ptr<Deflater> gzip_;  // the client accepts gzip and compression is on
    std::shared_ptr<StreamCore> core_;
    std::string packed_;          // body text, compressed
    std::string pending_;         // chunks not yet written
    std::string events_;          // the events of the chunk being made
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
    auto sse = std::make_shared<SseStream>(std::move(stream), options, gzip);
    sse->start(parsed, std::string(request[bhttp::field::origin]), hub, events);
    return sse;
}

}  // namespace mqgate::http
