#pragma once

// One include for Boost.Asio with C++20 coroutines. Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>

namespace reconcile {
namespace asio = boost::asio;
}  // namespace reconcile
