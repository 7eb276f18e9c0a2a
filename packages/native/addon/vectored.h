// Shared declarations of the vectored addon: argument checks and the
// functions each source file registers on the exports object.
#pragma once

#include <napi.h>

namespace vectored {

// Reads a file descriptor argument: a non-negative int32. On failure throws
// a TypeError naming the argument and returns false.
bool ReadFd(const Napi::CallbackInfo& info, size_t index, const char* name, int* fd);

// Throws a TypeError whose message starts with the argument's name.
void ThrowTypeError(Napi::Env env, const std::string& message);

void InitWrite(Napi::Env env, Napi::Object exports);
void InitWaitWritable(Napi::Env env, Napi::Object exports);
void InitFdOptions(Napi::Env env, Napi::Object exports);

}  // namespace vectored
