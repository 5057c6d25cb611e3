// One configured listener becomes one or two bound sockets: "localhost" is the
// loopback interface, 127.0.0.1 and ::1 where the host has IPv6.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "gateway/exposure.hpp"

namespace mqgate::gateway {

// A listener that cannot bind, e.g. "cannot listen on 0.0.0.0:1883: address
// already in use": start-up stops with exit code 2, as for a bad config.
class ListenError : public std::runtime_error {
public:
    ListenError(const std::string& address, std::uint16_t port, const std::exception& cause);
};

// Creates a listener on (address, port) and returns the port it bound.
using BindOne = std::function<std::uint16_t(const std::string& address, std::uint16_t port)>;

// Binds `l` through bind_one for each address its bind names; ::1 gets the
// port 127.0.0.1 got, so an ephemeral port is the same on both. Appends each
// bound endpoint to `bound`. Throws ListenError naming the address.
void bind_listener(const char* kind, const config::Listener& l, bool client_cert_required, const BindOne& bind_one,
                   std::vector<BoundListener>& bound);

}  // namespace mqgate::gateway
