// Options of a file descriptor that Node has no API for: the kernel socket
// buffer sizes (small buffers make short writes and EAGAIN happen early, in
// tests and for memory-bounded servers) and the O_NONBLOCK flag (a blocking
// fd would freeze the event loop on a full buffer).
#include "vectored.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace vectored {
namespace {

bool ReadBytes(const Napi::CallbackInfo& info, size_t index, const char* name, int* out) {
  Napi::Value value = info[index];
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 2147483647.0 && static_cast<double>(static_cast<int>(d)) == d) {
      *out = static_cast<int>(d);
      return true;
    }
  }
  ThrowTypeError(info.Env(), std::string("The \"") + name + "\" argument must be a non-negative integer");
  return false;
}

// setSocketBuffers(fd, sendBytes, receiveBytes): 0 leaves a size as it is.
// Returns 0 or a negative errno.
Napi::Value SetSocketBuffers(const Napi::CallbackInfo& info) {
  int fd, send, receive;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  if (!ReadBytes(info, 1, "sendBytes", &send)) return Napi::Value();
  if (!ReadBytes(info, 2, "receiveBytes", &receive)) return Napi::Value();
  if (send > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send, sizeof(send)) < 0) {
    return Napi::Number::New(info.Env(), -errno);
  }
  if (receive > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive, sizeof(receive)) < 0) {
    return Napi::Number::New(info.Env(), -errno);
  }
  return Napi::Number::New(info.Env(), 0);
}

// setMaxSegment(fd, bytes): TCP_MAXSEG. On a listening socket it is the MSS
// the accepted connections announce, so the peer's segments are no larger.
// Tests with kernel buffers far below loopback's MTU need it: with a 4 KiB
// receive buffer the sender's MSS is half its largest window and the
// receiver rounds its window down to the segment size it sees, and the two
// can settle on a window one byte short of a segment, which the sender does
// not fill (silly window avoidance) while the receiver reads nothing: the
// connection stalls on persist probes (docs/reliability.md).
// Returns 0 or a negative errno.
Napi::Value SetMaxSegment(const Napi::CallbackInfo& info) {
  int fd, bytes;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  if (!ReadBytes(info, 1, "bytes", &bytes)) return Napi::Value();
  if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &bytes, sizeof(bytes)) < 0) {
    return Napi::Number::New(info.Env(), -errno);
  }
  return Napi::Number::New(info.Env(), 0);
}

// isNonBlocking(fd): 1 when O_NONBLOCK is set, 0 when not, or a negative errno.
Napi::Value IsNonBlocking(const Napi::CallbackInfo& info) {
  int fd;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Napi::Number::New(info.Env(), -errno);
  return Napi::Number::New(info.Env(), (flags & O_NONBLOCK) ? 1 : 0);
}

// setNonBlocking(fd): sets O_NONBLOCK. Returns 0 or a negative errno.
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  int fd;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return Napi::Number::New(info.Env(), -errno);
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace

void InitFdOptions(Napi::Env env, Napi::Object exports) {
  exports.Set("setSocketBuffers", Napi::Function::New(env, SetSocketBuffers, "setSocketBuffers"));
  exports.Set("setMaxSegment", Napi::Function::New(env, SetMaxSegment, "setMaxSegment"));
  exports.Set("isNonBlocking", Napi::Function::New(env, IsNonBlocking, "isNonBlocking"));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
}

}  // namespace vectored
