// Asio, Asio SSL and Beast are compiled here once (separate compilation), so
// no other translation unit pays for their implementation.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
