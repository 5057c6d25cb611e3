#include "http/raw_output.hpp"

#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

namespace mqgate::http {

RawOutput::Result RawOutput::flush(net::RawTcpStream& socket) {
    if (written < bytes.size()) wrote_ = true;
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

bool RawOutput::release_if_idle() {
    if (std::exchange(wrote_, false) || unsent() > 0 || bytes.capacity() == 0) return false;
    std::string().swap(bytes);
    return true;
}

}  // namespace mqgate::http
