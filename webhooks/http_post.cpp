#include "webhooks/http_post.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "webhooks/backoff.hpp"

namespace mqgate::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Largest answer read: the body is not used, only the status.
constexpr std::uint64_t max_response_body = 64 * 1024;

template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
public:
    Exchange(asio::io_context& io, Stream stream, PostRequest request, std::function<void(PostResult)> done)
        : resolver_(io), stream_(std::move(stream)), request_(std::move(request)), done_(std::move(done)) {}

    void start() {
        const std::string host_header = request_.url.host.find(':') != std::string::npos
                                            ? "[" + request_.url.host + "]:" + std::to_string(request_.url.port)
                                            : request_.url.host + ":" + std::to_string(request_.url.port);
        message_.method(http::verb::post);
        message_.target(request_.url.target);
        message_.version(11);
        message_.set(http::field::host, host_header);
        message_.set(http::field::user_agent, "mqgate-webhooks");
        message_.set(http::field::content_type, "application/json");
        message_.set(http::field::connection, "close");
        for (const auto& [name, value] : request_.headers) message_.set(name, value);
        message_.body() = std::move(request_.body);
        message_.prepare_payload();
        parser_.body_limit(max_response_body);
        // The resolver takes no deadline: a name lookup is bounded by the system resolver's own
        // timeout, and the time it took counts against the request's.
        deadline_ = std::chrono::steady_clock::now() + request_.timeout;
        resolver_.async_resolve(request_.url.host, std::to_string(request_.url.port),
                                [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                                    self->on_resolve(ec, std::move(r));
                                });
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return fail("resolve", ec);
        if (std::chrono::steady_clock::now() >= deadline_) return fail("resolve", asio::error::timed_out);
        lowest().expires_at(deadline_);
        lowest().async_connect(results, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
            self->on_connect(ec);
        });
    }

    void on_connect(beast::error_code ec) {
        if (ec) return fail("connect", ec);
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            stream_.async_handshake(asio::ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec) return self->fail("tls handshake", ec);
                self->write();
            });
        } else {
            write();
        }
    }

    void write() {
        http::async_write(stream_, message_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->fail("write", ec);
            http::async_read(self->stream_, self->buffer_, self->parser_,
                             [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
        });
    }

    void on_read(beast::error_code ec) {
        if (ec) return fail("read", ec);
        const auto& response = parser_.get();
        PostResult result;
        result.status = response.result_int();
        if (const auto it = response.find(http::field::retry_after); it != response.end())
            result.retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        done_(std::move(result));
    }

    void fail(const char* what, beast::error_code ec) {
        PostResult result;
        result.error = std::string(what) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message());
        done_(std::move(result));
    }

    tcp::resolver resolver_;
    Stream stream_;
    PostRequest request_;
    std::function<void(PostResult)> done_;
    std::chrono::steady_clock::time_point deadline_;
    http::request<http::string_body> message_;
    beast::flat_buffer buffer_;
    http::response_parser<http::string_body> parser_;
};

}  // namespace

void post(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, PostRequest request,
          std::function<void(PostResult)> done) {
    if (!request.url.tls) {
        std::make_shared<Exchange<beast::tcp_stream>>(io, beast::tcp_stream(io), std::move(request), std::move(done))
            ->start();
        return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
    // SNI, and the certificate must name the host.
    if (!SSL_set_tlsext_host_name(stream.native_handle(), request.url.host.c_str())) {
        done(PostResult{0, "tls: cannot set the server name", std::nullopt});
        return;
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(request.url.host));
    std::make_shared<Exchange<beast::ssl_stream<beast::tcp_stream>>>(io, std::move(stream), std::move(request),
                                                                      std::move(done))
        ->start();
}

std::shared_ptr<asio::ssl::context> client_tls_context() {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_default_verify_paths();
    context->set_verify_mode(asio::ssl::verify_peer);
    context->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression);
    return context;
}

}  // namespace mqgate::webhooks
