// MQTT over TLS (mqtts listeners): the server handshake, bounded by the
// listener's handshake timeout, then the same StreamConnection as plain TCP
// (protocol "mqtts"). A failed or timed-out handshake only closes that socket
// (logged at debug level).
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "mqtt/broker.hpp"
#include "mqtt/net/tcp_connection.hpp"
#include "mqtt/net/tls_byte_stream.hpp"
#include "net/tls_context.hpp"

namespace mqgate::net {

using TlsConnection = StreamConnection<TlsByteStream>;

// For TcpListener's OnAccept: may run on any thread; `socket` belongs to its
// own io_context, where the handshake runs. `slot` is held for the life of
// the connection. The context is taken from `tls` now, so a reload during
// the handshake does not change it.
void start_tls_connection(boost::asio::ip::tcp::socket socket, ConnectionSlot slot,
                          const std::shared_ptr<const TlsContext>& tls, mqtt::Broker& broker,
                          const ConnectionOptions& options);

}  // namespace mqgate::net
