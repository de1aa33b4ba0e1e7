// Jinja2-subset interpreter for Hugging Face chat templates. It renders the `chat_template` of
// tokenizer_config.json byte-for-byte as transformers does: jinja2's ImmutableSandboxedEnvironment with
// trim_blocks=True, lstrip_blocks=True and the loopcontrols extension ({% break %}, {% continue %}),
// the globals raise_exception / strftime_now, and transformers' `tojson` filter (json.dumps with
// ensure_ascii=False). Context keys that are absent are *undefined*; JSON null is Python None.
//
// Anything outside the supported subset fails loudly with r1::Error naming the construct; syntax
// errors carry "chat template line L:C: ..."; raise_exception(msg) fails with
// "chat template raised: msg".
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace r1::jinja {

class Template {
 public:
  // Parses the template; throws r1::Error on syntax errors and unknown tags, filters or tests.
  explicit Template(const std::string& source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with the keys of `context` (a JSON object) as variables. Throws r1::Error.
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace r1::jinja
