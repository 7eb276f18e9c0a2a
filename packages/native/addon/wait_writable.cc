// waitWritable(fd, callback): calls back once when fd is writable, or with an
// Error when the connection failed while waiting.
//
// libuv already watches a Node socket's fd, keeps one watcher per fd, and
// warns that a second uv_poll_t on it can busy-loop. So on Linux each wait
// puts the fd, with EPOLLOUT|EPOLLONESHOT, in an epoll instance of its own
// and libuv polls that epoll fd for readability: libuv's own watcher on the
// socket is never touched. Closing the socket fd drops it from the private
// set, and cancel() only closes what the wait owns (never the socket fd, and
// never epoll_ctl on a number the kernel may have reused), so it is safe at
// any time. The fd's identity (device and inode) is recorded when the wait
// starts, so an error is never read from another socket that got the number.
#include "vectored.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <set>
#include <string>

#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/socket.h>
#endif

namespace vectored {
namespace {

class WaitHandle;
struct Instance;

struct Wait {
  uv_poll_t poll;
  int epfd = -1;
  int fd = -1;
  dev_t fd_dev = 0;
  ino_t fd_ino = 0;
  napi_env env = nullptr;
  napi_ref callback = nullptr;
  napi_ref handle_ref = nullptr;
  napi_async_context context = nullptr;
  WaitHandle* owner = nullptr;
  Instance* instance = nullptr;
};

// Per-environment state: the pending waits, and how many closed polls libuv
// has yet to hand back. Their close callback (OnClosed) is code in this
// library, which Node unloads when the environment of a worker thread goes
// away; a close callback run after that jumps into unmapped memory. So the
// environment's teardown is held, by an async cleanup hook, until every poll
// this environment closed has come back.
struct Instance {
  std::set<Wait*> pending;
  size_t closing = 0;
  napi_async_cleanup_hook_handle teardown = nullptr;
  Napi::FunctionReference handle_class;
};

void Finish(Wait* w);

class WaitHandle : public Napi::ObjectWrap<WaitHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "WaitHandle",
                       {InstanceMethod<&WaitHandle::Cancel>("cancel"),
                        InstanceAccessor<&WaitHandle::Pending>("pending")});
  }
  explicit WaitHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WaitHandle>(info) {}
  Wait* wait = nullptr;

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (wait != nullptr) Finish(wait);
    return info.Env().Undefined();
  }
  Napi::Value Pending(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), wait != nullptr);
  }
};

void OnClosed(uv_handle_t* handle) {
  Wait* w = static_cast<Wait*>(handle->data);
  Instance* instance = w->instance;
  delete w;
  if (--instance->closing == 0 && instance->teardown != nullptr) {
    napi_remove_async_cleanup_hook(instance->teardown);
    instance->teardown = nullptr;
  }
}

// Ends a wait without calling back: detaches it from its handle, releases
// the JS references, and closes the poll and the private epoll fd.
void Finish(Wait* w) {
  w->instance->pending.erase(w);
  w->instance->closing++;
  if (w->owner != nullptr) {
    w->owner->wait = nullptr;
    w->owner = nullptr;
  }
  if (w->callback != nullptr) napi_delete_reference(w->env, w->callback);
  if (w->handle_ref != nullptr) napi_delete_reference(w->env, w->handle_ref);
  if (w->context != nullptr) napi_async_destroy(w->env, w->context);
  w->callback = w->handle_ref = nullptr;
  w->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
  // libuv has removed the epoll fd from its own set inside uv_close, and its
  // docs allow closing a polled fd right after uv_close. Closing it now
  // rather than in OnClosed keeps many waits cancelled in one tick from
  // holding one fd each until the loop's next close phase.
  close(w->epfd);
  w->epfd = -1;
}

Napi::Value SystemError(Napi::Env env, int err) {
  const char* code = uv_err_name(-err);
  std::string message = std::string("connection failed while waiting for writability: ") + code +
                        " (" + uv_strerror(-err) + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, "waitWritable"));
  return error.Value();
}

// Throws an Error with code, errno and syscall like Node's system errors.
void ThrowSystemError(Napi::Env env, int err, const std::string& what) {
  Napi::Error error = Napi::Error::New(env, std::string("waitWritable: ") + what + ": " + uv_err_name(-err) +
                                                " (" + uv_strerror(-err) + ")");
  error.Set("code", Napi::String::New(env, uv_err_name(-err)));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, "waitWritable"));
  error.ThrowAsJavaScriptException();
}

void OnPoll(uv_poll_t* poll, int status, int events) {
  Wait* w = static_cast<Wait*>(poll->data);
  napi_env env = w->env;
  int err = 0;
  if (status < 0) {
    err = -status;
  } else {
#if defined(__linux__)
    struct epoll_event ev;
    int n;
    do {
      n = epoll_wait(w->epfd, &ev, 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return;  // nothing ready after all: keep waiting
    if (n < 0) {
      err = errno;
    } else if (ev.events & EPOLLERR) {
      // The socket's own error (ECONNRESET...) if the number still names the
      // socket this wait was started on; once Node closed it the number may
      // belong to another connection, whose error must not be read (reading
      // SO_ERROR clears it).
      struct stat now;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (fstat(w->fd, &now) == 0 && now.st_dev == w->fd_dev && now.st_ino == w->fd_ino &&
          getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error != 0) {
        err = so_error;
      } else {
        err = EPIPE;
      }
    }
#endif
  }
  Napi::HandleScope scope(env);
  napi_value callback = nullptr;
  napi_get_reference_value(env, w->callback, &callback);
  napi_async_context context = w->context;
  w->context = nullptr;  // destroyed below, after the call
  Finish(w);
  napi_value arg;
  if (err != 0) {
    arg = SystemError(env, err);
  } else {
    napi_get_null(env, &arg);
  }
  napi_value global, result;
  napi_get_global(env, &global);
  if (callback != nullptr &&
      napi_make_callback(env, context, global, callback, 1, &arg, &result) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  napi_async_destroy(env, context);
}

Napi::Value WaitWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ReadFd(info, 0, "fd", &fd)) return Napi::Value();
  if (!info[1].IsFunction()) {
    ThrowTypeError(env, "The \"callback\" argument must be a function");
    return Napi::Value();
  }
#if defined(__linux__)
  struct stat identity;
  if (fstat(fd, &identity) < 0) {
    ThrowSystemError(env, errno, "cannot watch fd " + std::to_string(fd));
    return Napi::Value();
  }
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    ThrowSystemError(env, errno, "cannot create an epoll instance");
    return Napi::Value();
  }
  struct epoll_event ev = {};
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    close(epfd);
    // EPERM: a regular file or directory, which epoll cannot watch.
    ThrowSystemError(env, err, "cannot watch fd " + std::to_string(fd));
    return Napi::Value();
  }
  Instance* instance = env.GetInstanceData<Instance>();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);

  Wait* w = new Wait();
  w->epfd = epfd;
  w->instance = instance;
  w->fd = fd;
  w->fd_dev = identity.st_dev;
  w->fd_ino = identity.st_ino;
  w->env = env;
  int init = uv_poll_init(loop, &w->poll, epfd);
  if (init != 0) {
    close(epfd);
    delete w;
    ThrowSystemError(env, -init, "uv_poll_init failed");
    return Napi::Value();
  }
  w->poll.data = w;
  Napi::Object handle = instance->handle_class.New({});
  WaitHandle* owner = WaitHandle::Unwrap(handle);
  owner->wait = w;
  w->owner = owner;
  napi_create_reference(env, info[1], 1, &w->callback);
  napi_create_reference(env, handle, 1, &w->handle_ref);
  napi_async_init(env, nullptr, Napi::String::New(env, "vectored:waitWritable"), &w->context);
  instance->pending.insert(w);
  uv_poll_start(&w->poll, UV_READABLE, OnPoll);
  return handle;
#else
  Napi::Error error = Napi::Error::New(env, "waitWritable is only implemented on Linux");
  error.Set("code", Napi::String::New(env, "ERR_VECTORED_NO_WAIT_WRITABLE"));
  error.ThrowAsJavaScriptException();
  return Napi::Value();
#endif
}

// Environment teardown: ends the pending waits without calling back, and
// lets the teardown go on once libuv has run every close callback.
void Teardown(napi_async_cleanup_hook_handle handle, void* arg) {
  Instance* instance = static_cast<Instance*>(arg);
  while (!instance->pending.empty()) Finish(*instance->pending.begin());
  if (instance->closing == 0) {
    napi_remove_async_cleanup_hook(handle);
  } else {
    instance->teardown = handle;
  }
}

}  // namespace

void InitWaitWritable(Napi::Env env, Napi::Object exports) {
  Instance* instance = new Instance();
  instance->handle_class = Napi::Persistent(WaitHandle::Define(env));
  env.SetInstanceData<Instance>(instance);
  napi_add_async_cleanup_hook(env, Teardown, instance, nullptr);
  exports.Set("waitWritable", Napi::Function::New(env, WaitWritable, "waitWritable"));
#if defined(__linux__)
  exports.Set("hasWaitWritable", Napi::Boolean::New(env, true));
#else
  exports.Set("hasWaitWritable", Napi::Boolean::New(env, false));
#endif
}

}  // namespace vectored
