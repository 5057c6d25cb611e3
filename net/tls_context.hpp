// The TLS side of one mqtts or https listener: an OpenSSL server context
// built from the listener's files, swapped for a fresh one on reload().
//
// Policy: TLS 1.2 and 1.3 only; for 1.2 the ECDHE AEAD suites (AES-GCM,
// ChaCha20-Poly1305), for 1.3 OpenSSL's default suites; no compression, no
// renegotiation. Handshakes in progress and established connections keep the
// context they started with (OpenSSL counts its references), so a reload
// never disturbs them.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace mqgate::net {

struct TlsSettings {
    std::string name;  // "listeners.mqtts[0]": names the listener in errors
    std::string cert;  // PEM certificate chain, leaf first
    std::string key;   // PEM private key of the leaf
    std::string ca;    // PEM CA bundle that client certificates must chain to ("" = none)
    bool require_client_cert = false;       // fail the handshake without a valid client certificate
    std::chrono::seconds handshake_timeout{10};
};

// A settings problem found while building a context: `field` is the
// listener's key ("cert", "key", "ca", ...), `reason` what is wrong with it.
class TlsError : public std::runtime_error {
public:
    TlsError(std::string field, std::string reason)
        : std::runtime_error(field + ": " + reason), field_(std::move(field)), reason_(std::move(reason)) {}
    const std::string& field() const noexcept { return field_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string field_, reason_;
};

class TlsContext {
public:
    // Reads the files now; throws TlsError.
    explicit TlsContext(TlsSettings settings);

    // The context new connections use. Thread-safe.
    std::shared_ptr<boost::asio::ssl::context> current() const;

    // Reads the files again and uses them for new connections. Throws
    // TlsError and keeps the old context when they are not usable.
    void reload();

    const TlsSettings& settings() const noexcept { return settings_; }

    // After a server handshake: the CN of the client's verified certificate,
    // "" without one (PeerInfo::tls_common_name; auth.use_identity_as_username
    // makes it the username).
    static std::string peer_common_name(const SSL* ssl);

private:
    const TlsSettings settings_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace mqgate::net
