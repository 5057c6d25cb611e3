// One webhook request: an HTTP(S) POST over Beast with one deadline for the
// whole exchange (resolve, connect, TLS handshake, write, read). A new
// connection per request (no keep-alive yet).
#pragma once

#include <chrono>
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
    config::WebhookUrl url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{5000};
};

struct PostResult {
    unsigned status = 0;      // 0: no answer (connection error, TLS failure, timeout)
    std::string error;        // why there was no answer, or "" when there was one
    std::optional<std::chrono::seconds> retry_after;
};

// Sends `request` and calls `done` once, on `io`'s thread. `tls` is the client
// context (certificates verified against it, the host name checked) and is
// used only for https URLs.
void post(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, PostRequest request,
          std::function<void(PostResult)> done);

// A client context verifying servers against the system's CA store.
std::shared_ptr<boost::asio::ssl::context> client_tls_context();

}  // namespace mqgate::webhooks
