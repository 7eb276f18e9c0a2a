// writev and sendfile on a file descriptor. Both return the number of bytes
// the kernel took (possibly fewer than asked: a short write) or, when it took
// none, a negative errno (-EAGAIN when a non-blocking fd is full). EINTR is
// retried here. Neither ever raises SIGPIPE: sockets are written with
// sendmsg(MSG_NOSIGNAL); pipes and sendfile block SIGPIPE around the call and
// consume the one the call raised, so a process that restored SIG_DFL for
// SIGPIPE (adding then removing a 'SIGPIPE' listener does) is not killed.
#include "vectored.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/sendfile.h>
#define VECTORED_HAVE_SENDFILE 1
#else
#define VECTORED_HAVE_SENDFILE 0
#endif

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

namespace vectored {
namespace {

constexpr int kIovMax = IOV_MAX;

// Runs `call` with SIGPIPE blocked in this thread, then takes the SIGPIPE the
// call raised, if any, before unblocking. The kernel raises it thread-directed
// (send_sig to current), so it stays pending here until taken. It is raised
// not only when the call fails with EPIPE: a pipe whose reader goes away in
// the middle of a write, or a sendfile that moved some chunks before the
// peer closed, returns a short count and still raises SIGPIPE. So whenever
// fewer than `wanted` bytes went out, a SIGPIPE that was not pending before is
// taken (sigtimedwait with a zero timeout: one syscall, never blocks).
template <typename Call>
ssize_t WithoutSigpipe(size_t wanted, Call call) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  ssize_t n;
  do {
    n = call();
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  if (!was_pending && (n < 0 ? saved == EPIPE : static_cast<size_t>(n) < wanted)) {
#if defined(__linux__)
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
#else
    int sig;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) sigwait(&pipe_set, &sig);
#endif
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return n;
}

ssize_t WriteIov(int fd, struct iovec* iov, int count) {
  if (count == 0) return 0;
#if defined(MSG_NOSIGNAL)
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (errno != ENOTSOCK) return -errno;
#endif
  // Not a socket (a pipe, FIFO, tty or file), or no MSG_NOSIGNAL here.
  size_t wanted = 0;
  for (int i = 0; i < count; i++) wanted += iov[i].iov_len;
  ssize_t w = WithoutSigpipe(wanted, [&] { return writev(fd, iov, count); });
  return w >= 0 ? w : -errno;
}

// Reads one buffer argument into an iovec. Returns false (a TypeError is
// pending) when the value is not an ArrayBufferView.
bool ReadBuffer(napi_env env, napi_value value, struct iovec* iov, const char* name, size_t index) {
  void* data = nullptr;
  size_t length = 0;
  // napi_get_buffer_info accepts every ArrayBufferView (Buffer, any
  // TypedArray, DataView) and gives its bytes, offset applied.
  if (napi_get_buffer_info(env, value, &data, &length) == napi_ok) {
    iov->iov_base = data;
    iov->iov_len = length;
    return true;
  }
  bool is_typed = false, is_view = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_is_dataview(env, value, &is_view);
  if (is_typed) {
    napi_typedarray_type type;
    size_t elements;
    napi_value ab;
    size_t offset;
    napi_get_typedarray_info(env, value, &type, &elements, &data, &ab, &offset);
    size_t size = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: size = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: size = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: size = 8; break;
      default: size = 1;
    }
    iov->iov_base = data;
    iov->iov_len = elements * size;
    return true;
  }
  if (is_view) {
    napi_value ab;
    size_t offset;
    napi_get_dataview_info(env, value, &length, &data, &ab, &offset);
    iov->iov_base = data;
    iov->iov_len = length;
    return true;
  }
  Napi::Env e(env);
  ThrowTypeError(e, std::string("The \"") + name + "[" + std::to_string(index) +
                        "]\" element must be a Buffer, TypedArray or DataView");
  return false;
}

// writev(fd, buffers): buffers is an array of ArrayBufferViews.
//
// Two passes. napi_get_element can run JS (a getter on the array or on
// Array.prototype for a hole), and that JS could detach, transfer or shrink
// the ArrayBuffer of an element already read: a pointer taken before it runs
// would then point at freed memory, and writev would send whatever lies
// there. So all elements are fetched first, and the data pointers are read
// only after the last JS has run (reading them runs none).
//
// Only the first IOV_MAX elements are looked at: the rest are neither written
// nor checked, so a caller resuming a very long list after each short write
// does not pay for the whole list on every call.
Napi::Value WritevArray(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int fd;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  Napi::Value list = info[1];
  if (!list.IsArray()) {
    ThrowTypeError(info.Env(), "The \"buffers\" argument must be an Array of Buffers");
    return Napi::Value();
  }
  uint32_t total;
  napi_get_array_length(env, list, &total);
  int take = total > static_cast<uint32_t>(kIovMax) ? kIovMax : static_cast<int>(total);
  constexpr int kStack = 16;
  napi_value stack_values[kStack];
  struct iovec stack_iov[kStack];
  std::vector<napi_value> heap_values;
  std::vector<struct iovec> heap_iov;
  napi_value* values = stack_values;
  struct iovec* iov = stack_iov;
  if (take > kStack) {
    heap_values.resize(take);
    heap_iov.resize(take);
    values = heap_values.data();
    iov = heap_iov.data();
  }
  for (int i = 0; i < take; i++) {
    if (napi_get_element(env, list, i, &values[i]) != napi_ok) return Napi::Value();
  }
  int count = 0;
  for (int i = 0; i < take; i++) {
    if (!ReadBuffer(env, values[i], &iov[count], "buffers", i)) return Napi::Value();
    if (iov[count].iov_len > 0) count++;
  }
  return Napi::Number::New(env, static_cast<double>(WriteIov(fd, iov, count)));
}

// writevArgs(fd, b0, b1, ...): the same write with the buffers as separate
// arguments, which N-API reads about three times faster than an array. No JS
// runs while the arguments are read. As with writev, arguments past IOV_MAX
// are ignored.
Napi::Value WritevArgs(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  int fd;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  size_t given = info.Length() - 1;
  int take = given > static_cast<size_t>(kIovMax) ? kIovMax : static_cast<int>(given);
  struct iovec stack_iov[16];
  std::vector<struct iovec> heap_iov;
  struct iovec* iov = stack_iov;
  if (take > 16) {
    heap_iov.resize(take);
    iov = heap_iov.data();
  }
  int count = 0;
  for (int i = 0; i < take; i++) {
    if (!ReadBuffer(env, info[i + 1], &iov[count], "buffers", i)) return Napi::Value();
    if (iov[count].iov_len > 0) count++;
  }
  return Napi::Number::New(env, static_cast<double>(WriteIov(fd, iov, count)));
}

bool ReadSize(const Napi::CallbackInfo& info, size_t index, const char* name, double* out) {
  Napi::Value value = info[index];
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d) {
      *out = d;
      return true;
    }
  }
  ThrowTypeError(info.Env(), std::string("The \"") + name + "\" argument must be a non-negative safe integer");
  return false;
}

// sendfile(socketFd, fileFd, offset, length): copies up to length bytes of
// the file from offset to the socket inside the kernel.
Napi::Value Sendfile(const Napi::CallbackInfo& info) {
  int out_fd, in_fd;
  double offset, length;
  if (!ReadFd(info, 0, "socketFd", &out_fd)) return Napi::Value();
  if (!ReadFd(info, 1, "fileFd", &in_fd)) return Napi::Value();
  if (!ReadSize(info, 2, "offset", &offset)) return Napi::Value();
  if (!ReadSize(info, 3, "length", &length)) return Napi::Value();
#if VECTORED_HAVE_SENDFILE
  if (length == 0) return Napi::Number::New(info.Env(), 0);
  off_t off = static_cast<off_t>(offset);
  size_t count = length > 0x7ffff000 ? 0x7ffff000 : static_cast<size_t>(length);
  ssize_t n = WithoutSigpipe(count, [&] { return sendfile(out_fd, in_fd, &off, count); });
  return Napi::Number::New(info.Env(), n >= 0 ? static_cast<double>(n) : -static_cast<double>(errno));
#else
  Napi::Error error = Napi::Error::New(info.Env(), "sendfile is not available on this platform");
  error.Set("code", Napi::String::New(info.Env(), "ERR_VECTORED_NO_SENDFILE"));
  error.ThrowAsJavaScriptException();
  return Napi::Value();
#endif
}

}  // namespace

void InitWrite(Napi::Env env, Napi::Object exports) {
  exports.Set("writev", Napi::Function::New(env, WritevArray, "writev"));
  exports.Set("writevArgs", Napi::Function::New(env, WritevArgs, "writevArgs"));
  exports.Set("sendfile", Napi::Function::New(env, Sendfile, "sendfile"));
  exports.Set("hasSendfile", Napi::Boolean::New(env, VECTORED_HAVE_SENDFILE));
  exports.Set("iovMax", Napi::Number::New(env, kIovMax));
}

}  // namespace vectored
