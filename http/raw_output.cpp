#include "http/raw_output.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

namespace mqgate::http {

RawOutput::Result RawOutput::flush(net::RawTcpStream& socket) {
    while (written < bytes.size()) {
        boost::system::error_code ec;
        const boost::asio::const_buffer buffer(bytes.data() + written, bytes.size() - written);
        written += socket.write_some({&buffer, 1}, ec);
        if (ec == boost::asio::error::would_block) return socket.watch_write(true) ? Result::failed : Result::blocked;
        if (ec) return Result::failed;
    }
    written = 0;
    bytes.clear();
    return socket.watch_write(false) ? Result::failed : Result::drained;
}

}  // namespace mqgate::http
