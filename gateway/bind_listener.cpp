#include "gateway/bind_listener.hpp"

#include <cctype>

#include <boost/system/system_error.hpp>

#include "support/log.hpp"

namespace mqgate::gateway {

namespace {

// The OS's reason ("address already in use"), without Boost's source location.
std::string listen_failure(const std::exception& cause) {
    const auto* system = dynamic_cast<const boost::system::system_error*>(&cause);
    std::string reason = system ? system->code().message() : cause.what();
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason;
}

bool no_such_address_here(const boost::system::error_code& ec) {
    namespace errc = boost::system::errc;
    return ec == errc::address_family_not_supported || ec == errc::address_not_available;
}

// `optional`: an address the host may lack (::1 without IPv6) is skipped.
void bind_address(const char* kind, const std::string& address, std::uint16_t port, bool client_cert_required,
                  const BindOne& bind_one, std::vector<BoundListener>& bound, bool optional) {
    std::uint16_t bound_port = 0;
    try {
        bound_port = bind_one(address, port);
    } catch (const boost::system::system_error& e) {
        if (!optional || !no_such_address_here(e.code())) throw ListenError(address, port, e);
        LOG_INFO(kind << ": no " << address << " on this host (" << e.code().message() << "), not listening there");
        return;
    } catch (const std::exception& e) {
        throw ListenError(address, port, e);
    }
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(address), bound_port);
    bound.push_back(BoundListener{kind, endpoint, client_cert_required});
}

}  // namespace

ListenError::ListenError(const std::string& address, std::uint16_t port, const std::exception& cause)
    : std::runtime_error("cannot listen on " +
                         (address.find(':') == std::string::npos ? address : "[" + address + "]") + ":" +
                         std::to_string(port) + ": " + listen_failure(cause)) {}

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
