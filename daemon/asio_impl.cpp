// Compiles Asio's implementation once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION),
// which keeps every other translation unit quicker to build.
#include <boost/asio/impl/src.hpp>
