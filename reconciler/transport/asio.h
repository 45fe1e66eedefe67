#pragma once

// One include for Boost.Asio with C++20 coroutines. Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

// g++ 12 warns that an Asio coroutine frame is freed with a mismatched
// operator delete (awaitable_frame_base defines its own operator new and
// delete; a false positive). Silenced for every file that uses Asio.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace reconcile {
namespace asio = boost::asio;
}  // namespace reconcile
