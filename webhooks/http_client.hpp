// The HTTP(S) client of one webhook: POSTs over Beast to its endpoint on
// kept-alive connections. A request takes an idle connection or opens one;
// one deadline covers the whole exchange (resolve, connect, TLS handshake,
// write, read). The webhook bounds the requests under way, and so the
// connections: each open connection is under way or idle, never more than the
// most requests ever under way at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "config/webhook_checks.hpp"

namespace mqgate::webhooks {

struct PostRequest {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{5000};
};

struct PostResult {
    unsigned status = 0;      // 0: no answer (connection error, TLS failure, timeout)
    std::string error;        // why there was no answer, or "" when there was one
    std::optional<std::chrono::seconds> retry_after;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // Sends `request` to the URL and calls `done` once, on `io`'s thread. Call on that thread only.
    virtual void post(PostRequest request, std::function<void(PostResult)> done) = 0;
    // Connections opened so far (each kept open while the receiver keeps it alive).
    virtual std::uint64_t connections_opened() const = 0;
};

// A client for `url`. `tls` verifies the server (certificates and host name)
// and is used only for https URLs.
std::shared_ptr<HttpClient> make_http_client(boost::asio::io_context& io, config::WebhookUrl url,
                                             std::shared_ptr<boost::asio::ssl::context> tls);

// A client context verifying servers against `ca_file` (PEM), or the system's
// CA store when it is empty. Throws std::runtime_error (start-up only) when
// the file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> client_tls_context(const std::string& ca_file = {});

}  // namespace mqgate::webhooks
