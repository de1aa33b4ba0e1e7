// Errors at the edges: one exception type carrying one human-readable line that names the file, tensor,
// key or field at fault. The CLI catches it, prints "error: <message>" and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace r1 {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

// Throws r1::Error(msg) when cond is false. For input validation, not for internal invariants.
inline void require(bool cond, const std::string& msg) {
  if (!cond) throw Error(msg);
}

}  // namespace r1
