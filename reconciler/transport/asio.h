#pragma once

// One include for Boost.Asio with C++20 coroutines. Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility>.
#include <boost/asio.hpp>
#include <utility>

// g++ 12 warns that an Asio coroutine frame is freed with a mismatched
// operator delete (awaitable_frame_base defines its own sized pair; GCC bug
// 103926-like false positive). Silenced for every file that uses Asio.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace reconcile {
namespace asio = boost::asio;
}  // namespace reconcile
