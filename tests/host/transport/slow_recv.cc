#include "tests/host/transport/slow_recv.h"

#include <dlfcn.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <ctime>

// <sys/socket.h> is left out on purpose: with _FORTIFY_SOURCE it defines
// recv as an inline wrapper, which this file replaces.

namespace {

std::atomic<int> delay_ms{0};

using RecvFunction = ssize_t (*)(int, void*, size_t, int);

RecvFunction real_recv() {
  static RecvFunction real = reinterpret_cast<RecvFunction>(dlsym(RTLD_NEXT, "recv"));
  return real;
}

}  // namespace

extern "C" ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  ssize_t count = real_recv()(fd, buffer, length, flags);
  int delay = delay_ms.load(std::memory_order_relaxed);
  if (count < 0 && errno == EAGAIN && delay > 0) {
    int saved = errno;
    timespec pause{delay / 1000, (delay % 1000) * 1000000L};
    nanosleep(&pause, nullptr);
    errno = saved;
  }
  return count;
}

namespace reconcile::transport::testing {

SlowRecv::SlowRecv(int milliseconds) {
  delay_ms.store(milliseconds);
}

SlowRecv::~SlowRecv() {
  delay_ms.store(0);
}

}  // namespace reconcile::transport::testing
