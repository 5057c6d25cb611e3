#include "bench/stream_client.hpp"

#include <zlib.h>

#include <cstring>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

namespace mqgate::bench {

namespace {

constexpr std::size_t read_size = 64 * 1024;

std::uint64_t number_after(std::string_view text, std::string_view key) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) return 0;
    std::uint64_t v = 0;
    for (std::size_t i = at + key.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
        v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    return v;
}

}  // namespace

struct StreamClient::Inflater {
    z_stream z{};
    Inflater() { inflateInit2(&z, -15); }  // raw deflate, any window up to 32 KiB
    ~Inflater() { inflateEnd(&z); }
};

StreamClient::StreamClient(asio::io_context& io, Flow& flow, StreamCounts& counts, std::string filter, bool deflate)
    : io_(io), socket_(io), flow_(flow), counts_(counts), filter_(std::move(filter)), in_(read_size), deflate_(deflate) {}

StreamClient::~StreamClient() = default;

bool StreamClient::inflate(std::string_view payload) {
    // RFC 7692 7.2.2: the sender left off the flush's 00 00 ff ff; it goes back on.
    static constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
    inflated_.clear();
    z_stream& z = inflater_->z;
    char out[16 * 1024];
    for (const std::string_view piece : {payload, std::string_view(reinterpret_cast<const char*>(tail), 4)}) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
        z.avail_in = static_cast<uInt>(piece.size());
        // Bounded: each turn consumes input or fills `out`; a full `out` may leave more to flush.
        for (bool full = true; z.avail_in > 0 || full;) {
            z.next_out = reinterpret_cast<Bytef*>(out);
            z.avail_out = sizeof out;
            const int rc = ::inflate(&z, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
            inflated_.append(out, sizeof out - z.avail_out);
            full = z.avail_out == 0;
            if (rc == Z_BUF_ERROR && !full) break;
        }
    }
    return true;
}

void StreamClient::start(const tcp::endpoint& http) {
    socket_.async_connect(http, [this, http](const boost::system::error_code& ec) {
        if (ec) return fail("connect", ec);
        socket_.set_option(tcp::no_delay(true));
        request_ = "GET /api/v1/stream HTTP/1.1\r\nHost: " + http.address().to_string() + ":" +
                   std::to_string(http.port()) +
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                   (deflate_ ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") +
                   "\r\n";
        asio::async_write(socket_, asio::buffer(request_), [this](const boost::system::error_code& ec, std::size_t) {
            if (ec) return fail("stream handshake", ec);
            read_response();
        });
    });
}

void StreamClient::read_response() {
    // Byte by byte up to the blank line would be slow; read what comes and
    // keep whatever follows the header as the first frames.
    socket_.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec) return fail("stream handshake", ec);
                                filled_ += n;
                                const std::string_view got(in_.data(), filled_);
                                const auto end = got.find("\r\n\r\n");
                                if (end == std::string_view::npos) {
                                    if (filled_ == in_.size()) return fail("stream handshake", asio::error::message_size);
                                    return read_response();
                                }
                                if (got.substr(0, 12) != "HTTP/1.1 101")
                                    return fail("stream handshake", asio::error::connection_refused);
                                if (deflate_) {
                                    if (got.substr(0, end).find("permessage-deflate") == std::string_view::npos)
                                        return fail("permessage-deflate not agreed (http.stream_compression off?)",
                                                    asio::error::operation_not_supported);
                                    inflater_ = std::make_unique<Inflater>();
                                }
                                std::memmove(in_.data(), in_.data() + end + 4, filled_ - end - 4);
                                filled_ -= end + 4;
                                send(0x1, nlohmann::json{{"op", "subscribe"}, {"id", 1}, {"filter", filter_}, {"qos", 0}}
                                              .dump());
                                handle_frames();
                                read();
                            });
}

void StreamClient::read() {
    socket_.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec) return fail("stream read", ec);
                                filled_ += n;
                                counts_.bytes.fetch_add(n, std::memory_order_relaxed);
                                handle_frames();
                                read();
                            });
}

void StreamClient::handle_frames() {
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data());
    std::size_t at = 0;
    const std::uint64_t messages_before = messages_;
    while (filled_ - at >= 2) {
        const std::uint8_t opcode = p[at] & 0x0f;
        std::uint64_t len = p[at + 1] & 0x7f;
        std::size_t header = 2;
        if (len == 126) {
            if (filled_ - at < 4) break;
            len = (std::uint64_t{p[at + 2]} << 8) | p[at + 3];
            header = 4;
        } else if (len == 127) {
            if (filled_ - at < 10) break;
            len = 0;
            for (int i = 0; i < 8; ++i) len = (len << 8) | p[at + 2 + i];
            header = 10;
        }
        if (header + len > in_.size()) return fail("stream read", asio::error::message_size);
        if (filled_ - at < header + len) break;
        const std::string_view payload(in_.data() + at + header, len);
        if (opcode == 0x1 && (p[at] & 0x40)) {  // RSV1: compressed
            if (!inflater_ || !inflate(payload)) return fail("stream read: bad compressed message", asio::error::invalid_argument);
            on_text(inflated_);
        } else if (opcode == 0x1) on_text(payload);
        else if (opcode == 0x9) send(0xa, payload);
        else if (opcode == 0x8) return fail("stream closed by the server", asio::error::eof);
        at += header + len;
    }
    std::memmove(in_.data(), in_.data() + at, filled_ - at);
    filled_ -= at;
    const auto fresh = messages_ - messages_before;
    if (fresh == 0) return;
    counts_.messages.fetch_add(fresh, std::memory_order_relaxed);
    flow_.delivered.fetch_add(fresh);
    if (flow_.waiting.load() && flow_.waiting.exchange(false))
        asio::post(flow_.publisher->context(), [p = flow_.publisher] { p->pump(); });
}

void StreamClient::on_text(std::string_view text) {
    // nlohmann sorts keys, so "type" closes every frame the server sends.
    const auto type = text.rfind("\"type\":\"");
    const auto kind = type == std::string_view::npos ? std::string_view() : text.substr(type + 8);
    if (kind.starts_with("message\"")) {
        ++messages_;
    } else if (kind.starts_with("dropped\"")) {
        counts_.notices.fetch_add(1, std::memory_order_relaxed);
        counts_.dropped.fetch_add(number_after(text, "\"count\":"), std::memory_order_relaxed);
    } else if (!subscribed.load()) {
        // The answer to our subscribe carries its id; events are not ours to judge.
        const auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_object() && j.contains("id") && j["id"] == 1) {
            if (j.contains("error")) errors().record("stream subscribe answered " + std::string(text));
            else subscribed.store(true);
        }
    }
}

void StreamClient::send(std::uint8_t opcode, std::string_view payload) {
    // A client frame is masked; a zero mask leaves the bytes as they are.
    auto frame = std::make_shared<std::string>();
    frame->push_back(static_cast<char>(0x80 | opcode));
    if (payload.size() < 126) {
        frame->push_back(static_cast<char>(0x80 | payload.size()));
    } else {
        frame->push_back(static_cast<char>(0x80 | 126));
        frame->push_back(static_cast<char>(payload.size() >> 8));
        frame->push_back(static_cast<char>(payload.size() & 0xff));
    }
    frame->append(4, '\0');
    frame->append(payload);
    asio::async_write(socket_, asio::buffer(*frame), [this, frame](const boost::system::error_code& ec, std::size_t) {
        if (ec) fail("stream write", ec);
    });
}

void StreamClient::fail(const char* where, const boost::system::error_code& ec) {
    errors().record(std::string(where) + ": " + ec.message());
    boost::system::error_code ignored;
    socket_.close(ignored);
}

}  // namespace mqgate::bench
