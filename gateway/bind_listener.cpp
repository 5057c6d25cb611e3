#include "gateway/bind_listener.hpp"

#include <stdexcept>

#include <boost/system/system_error.hpp>

#include "support/log.hpp"

namespace mqgate::gateway {

namespace {

bool no_such_address_here(const boost::system::error_code& ec) {
    namespace errc = boost::system::errc;
    return ec == errc::address_family_not_supported || ec == errc::address_not_available;
}

// `optional`: an address the host may lack (::1 without IPv6) is skipped.
void bind_address(const char* kind, const std::string& address, std::uint16_t port, bool client_cert_required,
                  const BindOne& bind_one, std::vector<BoundListener>& bound, bool optional) {
    const auto fail = [&](const char* why) {
        return std::runtime_error(std::string("cannot listen for ") + kind + " on " + address + ":" +
                                  std::to_string(port) + ": " + why);
    };
    std::uint16_t bound_port = 0;
    try {
        bound_port = bind_one(address, port);
    } catch (const boost::system::system_error& e) {
        if (!optional || !no_such_address_here(e.code())) throw fail(e.what());
        LOG_INFO(kind << ": no " << address << " on this host (" << e.code().message() << "), not listening there");
        return;
    } catch (const std::exception& e) {
        throw fail(e.what());
    }
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(address), bound_port);
    bound.push_back(BoundListener{kind, endpoint, client_cert_required});
}

}  // namespace

void bind_listener(const char* kind, const config::Listener& l, bool client_cert_required, const BindOne& bind_one,
                   std::vector<BoundListener>& bound) {
    if (l.bind != config::loopback_bind) {
        bind_address(kind, l.bind, l.port, client_cert_required, bind_one, bound, false);
        return;
    }
    bind_address(kind, "127.0.0.1", l.port, client_cert_required, bind_one, bound, false);
    bind_address(kind, "::1", bound.back().endpoint.port(), client_cert_required, bind_one, bound, true);
}

}  // namespace mqgate::gateway
