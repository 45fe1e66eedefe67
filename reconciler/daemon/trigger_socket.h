#pragma once

// `reconcile trigger` talks to the daemon through a unix socket in the state
// directory (trigger.sock, mode 0660: whoever may write the state directory's
// socket may ask for a run; a trigger only makes the daemon fetch, it cannot
// change what is applied). The protocol is one line each way:
//
//   client: "trigger\n"     daemon: "queued\n"
//   client: "retry\n"       daemon: "queued\n"   (`reconcile retry`: a
//                                               commit marked failed is
//                                               rolled out again)
//
// Triggers coalesce in the daemon, so a burst of pushes costs one run.

#include <chrono>
#include <memory>
#include <string>

#include "reconciler/base/result.h"
#include "reconciler/daemon/inbox.h"
#include "reconciler/transport/asio.h"

namespace reconcile::daemon {

class TriggerSocket {
 public:
  // Listens on `path` (a stale socket file left by a killed daemon is
  // replaced) and posts a kPush trigger for each request.
  // Errors: kFailedPrecondition with the system's reason.
  static Result<std::unique_ptr<TriggerSocket>> start(asio::io_context& io, const std::string& path,
                                                      Inbox& inbox);
  ~TriggerSocket();

  // Stops accepting and removes the socket file.
  void stop();

  struct State;

 private:
  explicit TriggerSocket(std::shared_ptr<State> state) : m_state(std::move(state)) {}
  std::shared_ptr<State> m_state;
};

// Sends `request` ("trigger" or "retry") to the daemon listening on `path`;
// returns its answer line.
// Errors: kUnavailable when no daemon answers (no socket, refused, timeout).
Result<std::string> send_trigger(const std::string& path, std::chrono::milliseconds timeout,
                                 const std::string& request = "trigger");

}  // namespace reconcile::daemon
