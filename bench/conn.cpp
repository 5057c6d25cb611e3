#include "bench/conn.hpp"

#include <cstring>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/stream_base.hpp>

#include "mqtt/codec.hpp"

namespace mqgate::bench {

ErrorLog& errors() {
    static ErrorLog log;
    return log;
}

void ErrorLog::record(const std::string& what) {
    count.fetch_add(1, std::memory_order_relaxed);
    static std::atomic<bool> claimed{false};
    if (!claimed.exchange(true)) {
        first = what;
        has_first.store(true, std::memory_order_release);
    }
}

bool parse_publish(std::uint8_t first, std::string_view body, PublishView& out) {
    if ((first >> 4) != 3 || body.size() < 2) return false;
    out.qos = (first >> 1) & 3;
    const auto topic_len = static_cast<std::size_t>(static_cast<std::uint8_t>(body[0]) << 8 |
                                                    static_cast<std::uint8_t>(body[1]));
    std::size_t pos = 2 + topic_len;
    if (body.size() < pos + (out.qos ? 2 : 0)) return false;
    out.topic = body.substr(2, topic_len);
    out.packet_id = 0;
    if (out.qos) {
        out.packet_id = static_cast<std::uint16_t>(static_cast<std::uint8_t>(body[pos]) << 8 |
                                                   static_cast<std::uint8_t>(body[pos + 1]));
        pos += 2;
    }
    out.payload = body.substr(pos);
    return true;
}

Conn::Conn(asio::io_context& io, std::size_t read_buffer) : io_(io), socket_(io), in_(read_buffer) {}

void Conn::start(const tcp::endpoint& broker, std::string client_id, const std::string& ws_path, bool clean) {
    mqtt::Connect c;
    c.client_id = std::move(client_id);
    c.clean_session = clean;
    c.keepalive = 0;
    mqtt::encode(c, out_);
    socket_.async_connect(broker, [this, ws_path, host = broker.address().to_string() + ":" +
                                                         std::to_string(broker.port())](
                                      const boost::system::error_code& ec) {
        if (ec) return fail("connect", ec);
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        if (ws_path.empty()) {
            flush();
            return read();
        }
        namespace ws = boost::beast::websocket;
        ws_ = std::make_unique<ws::stream<tcp::socket>>(std::move(socket_));
        ws_->set_option(ws::stream_base::decorator(
            [](ws::request_type& req) { req.set(boost::beast::http::field::sec_websocket_protocol, "mqtt"); }));
        ws_->set_option(ws::stream_base::timeout::suggested(boost::beast::role_type::client));
        ws_->binary(true);
        ws_->async_handshake(host, ws_path, [this](const boost::system::error_code& ec) {
            if (ec) return fail("websocket handshake", ec);
            flush();
            read();
        });
    });
}

void Conn::close() {
    closed_ = true;
    boost::system::error_code ignored;
    (ws_ ? ws_->next_layer() : socket_).close(ignored);
}

void Conn::fail(const char* where, const boost::system::error_code& ec) {
    if (closed_) return;
    errors().record(std::string(where) + ": " + ec.message());
    close();
}

void Conn::flush() {
    if (writing_ || out_.empty() || closed_ || !(ws_ ? ws_->next_layer() : socket_).is_open()) return;
    writing_ = true;
    std::swap(out_, writing_buf_);
    auto done = [this](const boost::system::error_code& ec, std::size_t) {
        writing_ = false;
        writing_buf_.clear();
        if (ec) return fail("write", ec);
        on_write_done();
        flush();
    };
    if (ws_) ws_->async_write(asio::buffer(writing_buf_), std::move(done));
    else asio::async_write(socket_, asio::buffer(writing_buf_), std::move(done));
}

void Conn::read() {
    if (filled_ == in_.size()) in_.resize(in_.size() * 2);
    auto done = [this](const boost::system::error_code& ec, std::size_t n) {
        if (ec) return fail("read", ec);
        handle_read(n);
    };
    const auto buffer = asio::buffer(in_.data() + filled_, in_.size() - filled_);
    if (ws_) ws_->async_read_some(buffer, std::move(done));
    else socket_.async_read_some(buffer, std::move(done));
}

void Conn::handle_read(std::size_t n) {
    filled_ += n;
    std::size_t pos = 0;
    // Frames are parsed where they lie; a frame larger than the buffer grows
    // it once to the frame's size.
    while (filled_ - pos >= 2) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(in_.data() + pos);
        std::size_t len = 0;
        std::size_t i = 1;
        unsigned shift = 0;
        bool complete_header = false;
        for (; i < 5 && pos + i < filled_; ++i) {
            len |= static_cast<std::size_t>(p[i] & 0x7f) << shift;
            shift += 7;
            if (!(p[i] & 0x80)) {
                complete_header = true;
                ++i;
                break;
            }
        }
        if (!complete_header) {
            if (i >= 5) return fail("read", make_error_code(boost::system::errc::protocol_error));
            break;
        }
        const std::size_t total = i + len;
        if (filled_ - pos < total) {
            if (total > in_.size()) in_.resize(total);
            break;
        }
        const std::uint8_t first = p[0];
        const std::string_view body(in_.data() + pos + i, len);
        pos += total;
        if (!connected_) {
            if ((first >> 4) != 2 || len != 2 || body[1] != 0)
                return fail("connack", make_error_code(boost::system::errc::connection_refused));
            connected_ = true;
            on_connack();
        } else {
            on_packet(first, body);
        }
        if (closed_) return;
    }
    if (pos > 0) {
        std::memmove(in_.data(), in_.data() + pos, filled_ - pos);
        filled_ -= pos;
    }
    on_read_done();
    if (!closed_) read();
}

}  // namespace mqgate::bench
