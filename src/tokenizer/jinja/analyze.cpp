// Static scope analysis mirroring jinja2's idtracking: jinja2 compiles every frame (template, loop body,
// macro, caller, {% filter %}, {% with %}, block {% set %}) to a Python function whose locals are decided
// at compile time. A name whose first occurrence in a frame is an unconditional assignment, with no
// enclosing frame using it, starts out *undefined* in that frame, hiding any context variable of that
// name, even for reads that happen before the assignment (from a loop body or a macro called earlier).
// Every other read sees the enclosing frames / context, which the interpreter's dynamic scope lookup
// already gives. This pass lists, per frame, the names to pre-bind to Undefined.
#include <map>
#include <set>

#include "tokenizer/jinja/ast.h"

namespace r1::jinja {
namespace {

enum class Load { Resolve, Undefined, Alias, Param };

struct Symbols {
  const Symbols* parent = nullptr;
  std::map<std::string, Load> refs;
  std::set<std::string> stores;

  bool find_ref(const std::string& name) const {
    for (const Symbols* s = this; s; s = s->parent)
      if (s->refs.count(name)) return true;
    return false;
  }
  void load(const std::string& name) {
    if (!find_ref(name)) refs[name] = Load::Resolve;
  }
  void store(const std::string& name) {
    stores.insert(name);
    if (!refs.count(name)) refs[name] = (parent && parent->find_ref(name)) ? Load::Alias : Load::Undefined;
  }
  void param(const std::string& name) {
    stores.insert(name);
    refs[name] = Load::Param;
  }
  // Names assigned in only some branches of an {% if %} are read from the enclosing frame / context.
  void branch_update(const std::vector<Symbols>& branches) {
    std::map<std::string, size_t> counts;
    for (const Symbols& b : branches)
      for (const auto& t : b.stores)
        if (!stores.count(t)) ++counts[t];
    for (const Symbols& b : branches) {
      for (const auto& [k, v] : b.refs) refs[k] = v;
      stores.insert(b.stores.begin(), b.stores.end());
    }
    for (const auto& [name, n] : counts) {
      if (n == branches.size()) continue;
      refs[name] = (parent && parent->find_ref(name)) ? Load::Alias : Load::Resolve;
    }
  }
  std::vector<std::string> undefined_names() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : refs)
      if (v == Load::Undefined) out.push_back(k);
    return out;
  }
};

// A frame nested in the one being analyzed, analyzed once the enclosing frame is complete.
struct Nested {
  Stmt* stmt;
  size_t body;  // index into stmt->bodies
};

class Analyzer {
 public:
  // Analyzes the statements of one frame; returns its names to pre-bind and recurses into nested frames.
  std::vector<std::string> frame(Symbols& sym, const Body& body, const Expr* trailing = nullptr) {
    std::vector<Nested> nested;
    for (const auto& s : body) visit_stmt(sym, *s, nested);
    if (trailing) visit_expr(sym, *trailing);
    for (const Nested& n : nested) analyze_nested(sym, n);
    return sym.undefined_names();
  }

 private:
  void visit_expr(Symbols& sym, const Expr& e) {
    if (e.kind == EK::Name) sym.load(e.name);
    for (const auto& c : e.a)
      if (c) visit_expr(sym, *c);
    for (const auto& kv : e.kwargs) visit_expr(sym, *kv.second);
  }

  void visit_targets(Symbols& sym, const Stmt& s) {
    if (!s.attr.empty())
      sym.load(s.names[0]);  // {% set ns.attr = ... %} reads ns
    else
      for (const auto& n : s.names) sym.store(n);
  }

  void visit_stmt(Symbols& sym, Stmt& s, std::vector<Nested>& nested) {
    switch (s.kind) {
      case SK::Text:
      case SK::Break:
      case SK::Continue:
        break;
      case SK::Output:
        visit_expr(sym, *s.exprs[0]);
        break;
      case SK::Set:
        visit_expr(sym, *s.exprs[0]);
        visit_targets(sym, s);
        break;
      case SK::SetBlock:
        visit_targets(sym, s);
        nested.push_back({&s, 0});
        break;
      case SK::If:
        visit_if(sym, s, nested);
        break;
      case SK::For:
        visit_expr(sym, *s.exprs[0]);
        nested.push_back({&s, 0});
        nested.push_back({&s, 1});
        break;
      case SK::Macro:
        sym.store(s.text);
        nested.push_back({&s, 0});
        break;
      case SK::CallBlock:
        visit_expr(sym, *s.exprs[0]);
        nested.push_back({&s, 0});
        break;
      case SK::FilterBlock:
        visit_expr(sym, *s.exprs[0]);
        nested.push_back({&s, 0});
        break;
      case SK::With:
        for (const auto& v : s.exprs) visit_expr(sym, *v);
        nested.push_back({&s, 0});
        break;
    }
  }

  // jinja2 visits an if as three branches: the body, all elifs together (each itself an if with
  // empty elif/else branches), and the else.
  void visit_if(Symbols& sym, Stmt& s, std::vector<Nested>& nested) {
    visit_expr(sym, *s.exprs[0]);
    std::vector<Symbols> branches(3, sym);
    for (const auto& st : s.bodies[0]) visit_stmt(branches[0], *st, nested);
    for (size_t k = 1; k < s.exprs.size(); ++k) {
      Symbols& el = branches[1];
      visit_expr(el, *s.exprs[k]);
      std::vector<Symbols> inner(3, el);
      for (const auto& st : s.bodies[k]) visit_stmt(inner[0], *st, nested);
      el.branch_update(inner);
    }
    if (s.bodies.size() > s.exprs.size())
      for (const auto& st : s.bodies.back()) visit_stmt(branches[2], *st, nested);
    sym.branch_update(branches);
  }

  void analyze_nested(const Symbols& parent, const Nested& n) {
    Stmt& s = *n.stmt;
    Symbols sym;
    sym.parent = &parent;
    const Expr* trailing = nullptr;
    switch (s.kind) {
      case SK::For:
        if (n.body == 0)
          for (const auto& t : s.names) sym.param(t);
        break;
      case SK::Macro:
      case SK::CallBlock: {
        for (const auto& p : s.names) sym.param(p);
        for (const char* special : {"caller", "varargs", "kwargs"}) sym.param(special);
        const size_t first = s.kind == SK::CallBlock ? 1 : 0;
        for (size_t k = first; k < s.exprs.size(); ++k)
          if (s.exprs[k]) visit_expr(sym, *s.exprs[k]);
        break;
      }
      case SK::With:
        for (const auto& t : s.names) sym.param(t);
        break;
      case SK::FilterBlock:
        trailing = s.exprs[0].get();
        break;
      default:
        break;
    }
    if (s.frame_undefs.size() < s.bodies.size()) s.frame_undefs.resize(s.bodies.size());
    s.frame_undefs[n.body] = frame(sym, s.bodies[n.body], trailing);
  }
};

}  // namespace

std::vector<std::string> analyze_scopes(Body& body) {
  Symbols root;
  return Analyzer().frame(root, body);
}

}  // namespace r1::jinja
