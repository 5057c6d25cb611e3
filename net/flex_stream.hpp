// The connection of an HTTP listener: a plain beast::tcp_stream (http) or TLS
// over one (https), behind one concrete type. The HTTP session, the WebSocket
// endpoints and SSE are written once against it instead of twice as
// templates; both alternatives sit on a tcp_stream, so
// beast::get_lowest_layer() reaches its timeouts and socket either way.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/async_result.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace mqgate::net {

class FlexStream {
public:
    using Tcp = boost::beast::tcp_stream;
    using Tls = boost::beast::ssl_stream<Tcp>;
    using executor_type = Tcp::executor_type;
    using next_layer_type = Tcp;

    explicit FlexStream(Tcp tcp) : stream_(std::in_place_type<Tcp>, std::move(tcp)) {}
    // `tls` may still have its handshake to do (see tls()).
    explicit FlexStream(Tls tls) : stream_(std::in_place_type<Tls>, std::move(tls)) {}

    bool is_tls() const noexcept { return std::holds_alternative<Tls>(stream_); }
    // Null for plain TCP.
    Tls* tls() noexcept { return std::get_if<Tls>(&stream_); }

    Tcp& next_layer() noexcept {
        if (auto* t = tls()) return t->next_layer();
        return std::get<Tcp>(stream_);
    }
    executor_type get_executor() noexcept { return next_layer().get_executor(); }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
            },
            token, buffers);
    }

    // The CN of the client's verified TLS certificate ("" without one). Set
    // by the HTTP session after the handshake; /mqtt hands it to the broker
    // as PeerInfo::tls_common_name.
    std::string tls_common_name;

    // websocket::stream closes its next layer through these (found by ADL):
    // TLS sends close_notify first, as beast does for an ssl_stream.
    friend void teardown(boost::beast::role_type role, FlexStream& s, boost::system::error_code& ec) {
        using boost::beast::websocket::teardown;
        std::visit([&](auto& inner) { teardown(role, inner, ec); }, s.stream_);
    }

    template <class Handler>
    friend void async_teardown(boost::beast::role_type role, FlexStream& s, Handler&& handler) {
        using boost::beast::websocket::async_teardown;
        if (auto* t = s.tls()) {
            async_teardown(role, *t, std::forward<Handler>(handler));
        } else {
            async_teardown(role, std::get<Tcp>(s.stream_), std::forward<Handler>(handler));
        }
    }

private:
    std::variant<Tcp, Tls> stream_;
};

}  // namespace mqgate::net
