#include "http/server.hpp"

#include <atomic>
#include <mutex>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/api.hpp"
#include "http/session.hpp"
#include "http/static_files.hpp"
#include "net/flex_stream.hpp"
#include "net/io_pool.hpp"
#include "net/tls_context.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// Out of descriptors or memory: accepting again at once would spin.
constexpr std::chrono::milliseconds accept_backoff{200};

bool resource_exhausted(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
           ec == boost::system::errc::too_many_files_open_in_system;
}

}  // namespace

struct Server::Shared : std::enable_shared_from_this<Server::Shared> {
    Shared(net::IoPool& p, ServerOptions options)
        : pool(p), acceptor(p.next()), backoff(acceptor.get_executor()) {
        context = std::make_shared<SessionContext>();
        context->options = std::move(options);
    }

    void accept() {
        acceptor.async_accept(pool.next(), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
            self->on_accept(ec, std::move(socket));
        });
    }

    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (stopped.load() || ec == asio::error::operation_aborted) return;
        if (ec) {
            if (resource_exhausted(ec)) {
                LOG_WARN("http: accept failed (" << ec.message() << "); retrying in " << accept_backoff.count() << " ms");
                backoff.expires_after(accept_backoff);
                backoff.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
                    if (!wait_ec) self->accept();
                });
                return;
            }
            LOG_WARN("http: accept failed: " << ec.message());
            accept();
            return;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        beast::tcp_stream stream(std::move(socket));
        // A reload swaps the context for later connections, never this one's.
        auto session = context->options.tls
                           ? std::make_shared<Session>(
                                 net::FlexStream(net::FlexStream::Tls(std::move(stream), *context->options.tls->current())),
                                 context)
                           : std::make_shared<Session>(net::FlexStream(std::move(stream)), context);
        remember(session);
        session->start();
        accept();
    }

    void remember(const std::shared_ptr<Session>& session) {
        std::lock_guard lock(mutex);
        // Prune only when the list doubled, so the cost stays amortised O(1).
        if (sessions.size() >= prune_at) {
            std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
            prune_at = std::max<std::size_t>(64, sessions.size() * 2);
        }
        sessions.push_back(session);
    }

    net::IoPool& pool;
    std::shared_ptr<SessionContext> context;
    tcp::acceptor acceptor;
    asio::steady_timer backoff;
    std::atomic<bool> stopped{false};
    std::mutex mutex;
    std::vector<std::weak_ptr<Session>> sessions;
    std::size_t prune_at = 64;
};

Server::Server(net::IoPool& pool, mqtt::Broker& broker, events::EventLog& events, ServerOptions options)
    : shared_(std::make_shared<Shared>(pool, std::move(options))) {
    const auto& o = shared_->context->options;
    const tcp::endpoint endpoint(asio::ip::make_address(o.bind), o.port);
    auto& acceptor = shared_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);

    shared_->context->router.set_cors_origins(o.cors_origins);
    const SessionContext* context = shared_->context.get();
    add_api_routes(shared_->context->router,
                   ApiContext{broker, events, [context] { return context->ready.load() && !context->loading.load(); }, o.open_listeners, o.requests,
                              o.commands,
                              o.webhooks, o.bridges});
    shared_->context->router.set_fallback(serve_static_file);
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const noexcept {
    boost::system::error_code ec;
    const auto endpoint = shared_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

std::string Server::local_address() const {
    boost::system::error_code ec;
    const auto endpoint = shared_->acceptor.local_endpoint(ec);
    if (ec) return {};
    const auto address = endpoint.address();
    const auto text = address.to_string();
    return (address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(endpoint.port());
}

Router& Server::router() noexcept { return shared_->context->router; }

void Server::set_streams(std::shared_ptr<const Streams> streams) { shared_->context->streams = std::move(streams); }

void Server::start() {
    shared_->context->ready.store(true);
    asio::post(shared_->acceptor.get_executor(), [shared = shared_] { shared->accept(); });
}

void Server::set_ready(bool ready) noexcept { shared_->context->ready.store(ready); }

void Server::set_loading(bool loading) noexcept { shared_->context->loading.store(loading); }

void Server::stop() {
    if (shared_->stopped.exchange(true)) return;
    shared_->context->ready.store(false);
    // The acceptor and timer belong to their executor's thread.
    asio::post(shared_->acceptor.get_executor(), [shared = shared_] {
        boost::system::error_code ignored;
        shared->acceptor.close(ignored);
        shared->backoff.cancel();
    });
    std::vector<std::weak_ptr<Session>> sessions;
    {
        std::lock_guard lock(shared_->mutex);
        sessions.swap(shared_->sessions);
    }
    for (const auto& weak : sessions) {
        if (auto session = weak.lock()) session->close();
    }
}

}  // namespace mqgate::http
