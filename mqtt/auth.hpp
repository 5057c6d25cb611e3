// Authentication and authorization hooks of the broker core. config/ provides
// the real implementations (password file, ACL file); the core only asks.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mqtt/connection.hpp"
#include "mqtt/packet.hpp"

namespace mqgate::mqtt {

enum class Access { read, write };  // read: subscribe / receive; write: publish

class Authorizer {
public:
    virtual ~Authorizer() = default;
    // Checks CONNECT credentials. Returns accepted, bad_username_or_password
    // (0x04) or not_authorized (0x05). On success `identity` is the username
    // the ACL will see (the CONNECT username, or a certificate CN). Called
    // outside the broker lock from any transport thread: must be thread-safe
    // and may be slow (password hashing).
    virtual ConnectReturn authenticate(const Connect& connect, const PeerInfo& peer, std::string& identity) = 0;
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
    ConnectReturn authenticate(const Connect& connect, const PeerInfo&, std::string& identity) override {
        identity = connect.username.value_or("");
        return ConnectReturn::accepted;
    }
    bool authorize(std::string_view, std::string_view, std::string_view, Access) override { return true; }
};

}  // namespace mqgate::mqtt
