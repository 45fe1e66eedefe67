#pragma once

// A test hook on recv(2): while a delay is set, every recv() in this process
// that finds nothing to read (EAGAIN) sleeps that long before it returns.
// libssh2 reads through recv(), so this widens the gaps between the
// transport's reads and makes packets arrive in between, the way a busy
// machine does now and then. The hook is this program's own definition of
// recv, which the dynamic linker prefers to libc's for every library.

namespace reconcile::transport::testing {

// Sets the delay for its lifetime (it is off otherwise).
class SlowRecv {
 public:
  explicit SlowRecv(int milliseconds);
  ~SlowRecv();
  SlowRecv(const SlowRecv&) = delete;
  SlowRecv& operator=(const SlowRecv&) = delete;
};

}  // namespace reconcile::transport::testing
