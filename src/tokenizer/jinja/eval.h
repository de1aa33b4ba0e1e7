// Internal: the tree-walking interpreter behind jinja::Template.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/value.h"

namespace r1::jinja {

// Variables of one jinja2 frame. Loops get a fresh scope per iteration and macros, {% with %},
// {% filter %} and block {% set %} get their own, so assignments inside do not leak out (jinja2's
// scoping rule); {% if %} shares its parent's.
struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
  const Value* lookup(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { Normal, Break, Continue };

class Interp {
 public:
  explicit Interp(const nlohmann::ordered_json& context);
  std::string run(const Body& body, const std::vector<std::string>& undefs);

  Flow exec(const Body& body, const ScopePtr& scope, std::string& out);
  Value eval(const Expr& e, const ScopePtr& scope);
  Value call(const Value& callee, Args& args);
  Value call_macro(const Stmt& s, const ScopePtr& parent, bool is_caller, Args& args);

 private:
  Flow exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out);
  Flow exec_for(const Stmt& s, const ScopePtr& scope, std::string& out);
  void exec_set(const Stmt& s, const ScopePtr& scope, Value v);
  Value make_macro(const Stmt& s, const ScopePtr& scope, bool is_caller);
  Value eval_op(const Expr& e, const ScopePtr& scope);
  Args eval_args(const Expr& e, size_t first, const ScopePtr& scope);
  // Renders a {% filter %} / block {% set %} body; Break/Continue inside it abandon the block.
  Flow render_block(const Stmt& s, const ScopePtr& parent, std::string* out);
  ScopePtr frame_scope(const Stmt& s, size_t body, const ScopePtr& parent);

  ScopePtr globals_;
  ScopePtr root_;
  std::vector<Value> block_values_;  // bodies of enclosing {% filter %} / block {% set %}
  int depth_ = 0;
};

}  // namespace r1::jinja
