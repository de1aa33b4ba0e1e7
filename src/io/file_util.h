// Small file helpers shared by every writer: whole-file reads and atomic writes (temp file + fsync + rename),
// so an interrupted write never leaves a half-written file under the final name.
#pragma once

#include <string>
#include <string_view>

namespace r1 {

std::string read_file(const std::string& path);  // throws r1::Error naming the path
void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace r1
