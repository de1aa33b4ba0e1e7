// Small file helpers shared by every writer: whole-file reads and atomic writes (temp file + fsync + rename),
// so an interrupted write never leaves a half-written file under the final name.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace r1 {

std::string read_file(const std::string& path);  // throws r1::Error naming the path
void write_file_atomic(const std::string& path, std::string_view bytes);
// The same for content produced piece by piece: `produce` calls `sink(data, size)` as often as it likes.
using ByteSink = std::function<void(const void*, size_t)>;
void write_file_atomic(const std::string& path, const std::function<void(const ByteSink&)>& produce);

}  // namespace r1
