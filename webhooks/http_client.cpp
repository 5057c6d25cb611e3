#include "webhooks/http_client.hpp"

#include <stdexcept>
#include <type_traits>

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

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
struct Connection {
    Stream stream;
    beast::flat_buffer buffer;  // what the server sent past the last answer stays for the next
};

template <class Stream>
class Pool final : public HttpClient, public std::enable_shared_from_this<Pool<Stream>> {
public:
    Pool(asio::io_context& io, config::WebhookUrl url, std::shared_ptr<asio::ssl::context> tls)
        : io_(io), url_(std::move(url)), tls_(std::move(tls)) {}

    void post(PostRequest request, std::function<void(PostResult)> done) override;
    std::uint64_t connections_opened() const override { return opened_; }

    asio::io_context& io() { return io_; }
    const config::WebhookUrl& url() const { return url_; }

    // An idle connection, or none.
    std::unique_ptr<Connection<Stream>> take_idle() {
        if (idle_.empty()) return nullptr;
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    void give_back(std::unique_ptr<Connection<Stream>> c) { idle_.push_back(std::move(c)); }

    // A new, unconnected connection; an error when TLS cannot be set up.
    std::unique_ptr<Connection<Stream>> fresh(std::string& error) {
        ++opened_;
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            auto c = std::make_unique<Connection<Stream>>(Connection<Stream>{TlsStream(io_, *tls_), {}});
            // SNI, and the certificate must name the host.
            if (!SSL_set_tlsext_host_name(c->stream.native_handle(), url_.host.c_str())) {
                error = "tls: cannot set the server name";
                return nullptr;
            }
            c->stream.set_verify_callback(asio::ssl::host_name_verification(url_.host));
            return c;
        } else {
            return std::make_unique<Connection<Stream>>(Connection<Stream>{beast::tcp_stream(io_), {}});
        }
    }

private:
    asio::io_context& io_;
    const config::WebhookUrl url_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::vector<std::unique_ptr<Connection<Stream>>> idle_;  // most recently used last
    std::uint64_t opened_ = 0;
};

// One request on one connection of the pool: an idle one if there is one (and, if the server
// closed it meanwhile, once more on a new one), else a new one.
template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
public:
    Exchange(std::shared_ptr<Pool<Stream>> pool, PostRequest request, std::function<void(PostResult)> done)
        : pool_(std::move(pool)), resolver_(pool_->io()), request_(std::move(request)), done_(std::move(done)) {}

    void start() {
        const auto& url = pool_->url();
        const std::string host_header = url.host.find(':') != std::string::npos
                                            ? "[" + url.host + "]:" + std::to_string(url.port)
                                            : url.host + ":" + std::to_string(url.port);
        message_.method(http::verb::post);
        message_.target(url.target);
        message_.version(11);  // kept alive unless the server says otherwise
        message_.set(http::field::host, host_header);
        message_.set(http::field::user_agent, "mqgate-webhooks");
        message_.set(http::field::content_type, "application/json");
        for (const auto& [name, value] : request_.headers) message_.set(name, value);
        message_.body() = std::move(request_.body);
        message_.prepare_payload();
        deadline_ = std::chrono::steady_clock::now() + request_.timeout;
        connection_ = pool_->take_idle();
        if (connection_) {
            reused_ = true;
            write();
        } else {
            open();
        }
    }

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(connection_->stream); }

    void open() {
        std::string error;
        connection_ = pool_->fresh(error);
        if (!connection_) return finish(PostResult{0, error, std::nullopt});
        // The resolver takes no deadline: a name lookup is bounded by the system resolver's own
        // timeout, and the time it took counts against the request's.
        const auto& url = pool_->url();
        resolver_.async_resolve(url.host, std::to_string(url.port),
                                [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                                    self->on_resolve(ec, std::move(r));
                                });
    }

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
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            connection_->stream.async_handshake(asio::ssl::stream_base::client,
                                                [self = this->shared_from_this()](beast::error_code ec) {
                                                    if (ec) return self->fail("tls handshake", ec);
                                                    self->write();
                                                });
        } else {
            write();
        }
    }

    void write() {
        lowest().expires_at(deadline_);
        http::async_write(connection_->stream, message_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->fail("write", ec);
            self->parser_.emplace();
            self->parser_->body_limit(max_response_body);
            http::async_read(self->connection_->stream, self->connection_->buffer, *self->parser_,
                             [self](beast::error_code ec, std::size_t) { self->on_read(ec); });
        });
    }

    void on_read(beast::error_code ec) {
        if (ec) return fail("read", ec);
        const auto& response = parser_->get();
        PostResult result;
        result.status = response.result_int();
        if (const auto it = response.find(http::field::retry_after); it != response.end())
            result.retry_after = parse_retry_after(std::string_view(it->value().data(), it->value().size()));
        if (response.keep_alive()) {
            lowest().expires_never();
            pool_->give_back(std::move(connection_));
        } else {
            beast::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        }
        finish(std::move(result));
    }

    void fail(const char* what, beast::error_code ec) {
        // A kept-alive connection the server closed while it was idle: once more on a new one.
        if (reused_ && ec != beast::error::timeout) {
            reused_ = false;
            return open();
        }
        finish(PostResult{0, std::string(what) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message()),
                          std::nullopt});
    }

    void finish(PostResult result) {
        connection_.reset();  // closes it unless it went back to the pool
        done_(std::move(result));
    }

    std::shared_ptr<Pool<Stream>> pool_;
    tcp::resolver resolver_;
    PostRequest request_;
    std::function<void(PostResult)> done_;
    std::unique_ptr<Connection<Stream>> connection_;
    bool reused_ = false;
    std::chrono::steady_clock::time_point deadline_;
    http::request<http::string_body> message_;
    std::optional<http::response_parser<http::string_body>> parser_;  // one per attempt
};

template <class Stream>
void Pool<Stream>::post(PostRequest request, std::function<void(PostResult)> done) {
    std::make_shared<Exchange<Stream>>(this->shared_from_this(), std::move(request), std::move(done))->start();
}

}  // namespace

std::shared_ptr<HttpClient> make_http_client(asio::io_context& io, config::WebhookUrl url,
                                             std::shared_ptr<asio::ssl::context> tls) {
    if (url.tls) return std::make_shared<Pool<TlsStream>>(io, std::move(url), std::move(tls));
    return std::make_shared<Pool<beast::tcp_stream>>(io, std::move(url), nullptr);
}

std::shared_ptr<asio::ssl::context> client_tls_context(const std::string& ca_file) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    if (ca_file.empty()) {
        context->set_default_verify_paths();
    } else {
        boost::system::error_code ec;
        context->load_verify_file(ca_file, ec);
        if (ec) throw std::runtime_error("cannot load the CA file " + ca_file + ": " + ec.message());
    }
    context->set_verify_mode(asio::ssl::verify_peer);
    context->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression);
    return context;
}

}  // namespace mqgate::webhooks
