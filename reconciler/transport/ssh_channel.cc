#include "reconciler/transport/ssh_channel.h"

#include <array>

#include "reconciler/transport/framing.h"

namespace reconcile::transport {

namespace {

// After moving this many bytes without waiting, let other hosts' coroutines
// run: a fast stream must not starve the rest of the io_context.
constexpr size_t kFairnessBytes = 1 << 20;

struct Collected {
  explicit Collected(size_t limit) : out(limit), err(limit) {}
  BoundedBuffer out;
  BoundedBuffer err;
};

// Reads what both streams have now, up to kFairnessBytes each (a command
// that prints without end must not keep the loop from its deadline).
// Returns the bytes read, or an error.
Result<size_t> read_available(SshSession& session, LIBSSH2_CHANNEL* channel, Collected& output) {
  std::array<char, 32768> buffer;
  size_t total = 0;
  for (int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
    for (size_t taken = 0; taken < kFairnessBytes;) {
      ssize_t count = libssh2_channel_read_ex(channel, stream, buffer.data(), buffer.size());
      if (count == LIBSSH2_ERROR_EAGAIN || count == 0) break;
      if (count < 0) return unavailable("reading the command's output: " + session.last_error());
      std::string_view data(buffer.data(), static_cast<size_t>(count));
      (stream == 0 ? output.out : output.err).append(data);
      total += static_cast<size_t>(count);
      taken += static_cast<size_t>(count);
    }
  }
  return total;
}

// Writes what it can of stdin; sends EOF after the last byte. Returns the
// bytes written (EOF counts as progress, as 1).
Result<size_t> write_available(SshSession& session, LIBSSH2_CHANNEL* channel, StdinFeed& feed,
                               bool& stdin_open) {
  auto pending = feed.pending();
  if (!pending.has_value()) return std::move(pending).error();
  if (pending->empty()) {
    int rc = libssh2_channel_send_eof(channel);
    if (rc == LIBSSH2_ERROR_EAGAIN) return size_t{0};
    stdin_open = false;  // sent, or the other side is gone: either way done
    return size_t{1};
  }
  ssize_t count = libssh2_channel_write(channel, pending->data(), pending->size());
  if (count == LIBSSH2_ERROR_EAGAIN) return size_t{0};
  if (count < 0) {
    if (libssh2_channel_eof(channel)) {
      stdin_open = false;  // the command ended without reading all its input
      return size_t{1};
    }
    return unavailable("writing the command's input: " + session.last_error());
  }
  feed.consume(static_cast<size_t>(count));
  return static_cast<size_t>(count);
}

// Bytes of the channel's output that libssh2 already took off the socket
// but has not handed out yet.
unsigned long queued_bytes(LIBSSH2_CHANNEL* channel) {
  unsigned long queued = 0;
  libssh2_channel_window_read_ex(channel, &queued, nullptr);
  return queued;
}

void read_exit_status(LIBSSH2_SESSION* session, LIBSSH2_CHANNEL* channel, Output& output) {
  output.exit_code = libssh2_channel_get_exit_status(channel);
  char* signal = nullptr;
  size_t signal_length = 0;
  libssh2_channel_get_exit_signal(channel, &signal, &signal_length, nullptr, nullptr, nullptr,
                                  nullptr);
  if (signal != nullptr) {
    output.exit_code = -1;
    output.signal = std::string(signal, signal_length);
    libssh2_free(session, signal);
  }
}

}  // namespace

asio::awaitable<Result<Output>> run_on_channel(SshSession& session, const std::string& command,
                                               StdinFeed& feed, size_t max_output,
                                               Clock::time_point deadline, bool& exec_sent) {
  exec_sent = false;
  LIBSSH2_SESSION* raw = session.get();
  LIBSSH2_CHANNEL* channel = nullptr;
  CO_TRY_ASSIGN(opened, co_await session.drive(
                            [&] {
                              channel = libssh2_channel_open_session(raw);
                              return channel ? 0 : libssh2_session_last_errno(raw);
                            },
                            deadline));
  if (channel == nullptr || opened != 0) {
    co_return unavailable("cannot open an SSH channel: " + session.last_error());
  }
  exec_sent = true;
  CO_TRY_ASSIGN(started, co_await session.drive(
                             [&] {
                               return libssh2_channel_process_startup(
                                   channel, "exec", 4, command.data(),
                                   static_cast<unsigned>(command.size()));
                             },
                             deadline));
  if (started != 0) co_return unavailable("cannot start the command: " + session.last_error());

  Collected collected(max_output);
  bool stdin_open = true;
  size_t since_yield = 0;
  bool reread = false;
  while (true) {
    size_t progress = 0;
    // Once the command closed its output, it has ended (or will not read
    // any more that we could tell apart), so the rest of stdin is dropped.
    if (stdin_open && libssh2_channel_eof(channel)) stdin_open = false;
    if (stdin_open) {
      CO_TRY_ASSIGN(written, write_available(session, channel, feed, stdin_open));
      progress += written;
    }
    CO_TRY_ASSIGN(read, read_available(session, channel, collected));
    progress += read;
    if (!stdin_open && libssh2_channel_eof(channel)) break;
    if (progress > 0) reread = false;
    // Every read first drains the socket into libssh2's queue, for both
    // streams: the stderr read can queue stdout data that arrived just after
    // stdout was read. When the EOF and the close came with it, the socket
    // stays quiet and a wait would last until the deadline, so read once more
    // first. (Once only: data of an extended stream other than stderr is
    // never read, and must not keep the loop spinning.)
    if (progress == 0 && !reread && queued_bytes(channel) > 0) {
      reread = true;
      continue;
    }
    if (progress == 0) {
      CO_TRY_STATUS(co_await session.wait_socket(deadline));
      since_yield = 0;
    } else if ((since_yield += progress) >= kFairnessBytes) {
      co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      since_yield = 0;
      if (Clock::now() >= deadline) co_return deadline_exceeded("timed out");
    }
  }
  CO_TRY_ASSIGN(closed,
                co_await session.drive([&] { return libssh2_channel_close(channel); }, deadline));
  if (closed == 0) {
    CO_TRY_ASSIGN(waited, co_await session.drive(
                              [&] { return libssh2_channel_wait_closed(channel); }, deadline));
    (void)waited;
  }
  Output output;
  read_exit_status(raw, channel, output);
  CO_TRY_ASSIGN(freed,
                co_await session.drive([&] { return libssh2_channel_free(channel); }, deadline));
  (void)freed;
  output.truncated = collected.out.truncated() || collected.err.truncated();
  output.out = collected.out.release();
  output.err = collected.err.release();
  co_return output;
}

}  // namespace reconcile::transport
