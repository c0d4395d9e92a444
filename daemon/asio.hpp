// The one way the project includes Boost.Asio: the namespace alias and the completion token
// that turns errors into values, so that expected failures (a reset peer, a timeout) are not
// exceptions. Asio is compiled once in asio_impl.cpp (BOOST_ASIO_SEPARATE_COMPILATION).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace netsvcd {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// co_await op(use_nothrow) yields std::tuple<error_code, results...> instead of throwing.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
}  // namespace netsvcd
