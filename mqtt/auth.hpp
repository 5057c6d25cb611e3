// Authentication and authorization hooks of the broker core. config/ provides
// the real implementations (password file, ACL file); the core only asks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mqtt/connection.hpp"
#include "mqtt/packet.hpp"

namespace mqgate::mqtt {

enum class Access { read, write };  // read: subscribe / receive; write: publish

// The answer to a CONNECT's credentials; on `accepted`, `identity` is the
// username the ACL will see (the CONNECT username, or a certificate CN).
using AuthDone = std::function<void(ConnectReturn code, std::string identity)>;

class Authorizer {
public:
    virtual ~Authorizer() = default;
    // Checks CONNECT credentials and calls `done` exactly once with accepted,
    // server_unavailable (0x03), bad_username_or_password (0x04) or
    // not_authorized (0x05): before returning when the answer is quick, or
    // later from another thread (a password hash must not hold an I/O
    // thread). Called outside the broker lock from any transport thread:
    // must be thread-safe.
    virtual void authenticate(const Connect& connect, const PeerInfo& peer, AuthDone done) = 0;
    // May `username`/`client_id` read (subscribe to `topic_or_filter`) or
    // write (publish to `topic_or_filter`)? Called under the broker lock:
    // must be fast and must not call back into the broker.
    virtual bool authorize(std::string_view username, std::string_view client_id, std::string_view topic_or_filter,
                           Access access) = 0;
};

// Lets everyone in and allows everything: the default until a password file
// and ACL are configured (start-up warns about it).
class AllowAllAuthorizer final : public Authorizer {
public:
    void authenticate(const Connect& connect, const PeerInfo&, AuthDone done) override {
        done(ConnectReturn::accepted, connect.username.value_or(""));
    }
    bool authorize(std::string_view, std::string_view, std::string_view, Access) override { return true; }
};

}  // namespace mqgate::mqtt
