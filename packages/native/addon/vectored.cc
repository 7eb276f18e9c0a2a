// Module entry: registers the system calls on the exports object.
#include "vectored.h"

#include <cmath>
#include <string>

namespace vectored {

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  error.ThrowAsJavaScriptException();
}

bool ReadFd(const Napi::CallbackInfo& info, size_t index, const char* name, int* fd) {
  Napi::Value value = info[index];
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 2147483647.0 && std::floor(d) == d) {
      *fd = static_cast<int>(d);
      return true;
    }
  }
  ThrowTypeError(info.Env(), std::string("The \"") + name +
                                 "\" argument must be a non-negative integer file descriptor");
  return false;
}

}  // namespace vectored

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  vectored::InitWrite(env, exports);
  vectored::InitWaitWritable(env, exports);
  vectored::InitFdOptions(env, exports);
  return exports;
}

NODE_API_MODULE(vectored, Init)
