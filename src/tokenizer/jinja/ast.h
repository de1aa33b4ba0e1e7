// Syntax tree of a parsed chat template. One generic node type per category keeps the parser and the
// evaluator small; the comments give each kind's use of the fields.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja/value.h"

namespace r1::jinja {

enum class EK {
  Const,      // value
  Name,       // name
  GetAttr,    // a[0].name
  GetItem,    // a[0][a[1]]
  Slice,      // a[0][a[1]:a[2]:a[3]] (null children for omitted parts)
  List,       // [a...]
  Tuple,      // (a...)
  Dict,       // {a[0]: a[1], a[2]: a[3], ...}
  Unary,      // name ("-" or "+") a[0]
  Binary,     // a[0] name a[1]; name is one of + - * / // % ** ~
  Compare,    // a[0] ops[0] a[1] ops[1] a[2] ...; ops are == != < > <= >= in notin
  And,        // a[0] and a[1]
  Or,         // a[0] or a[1]
  Not,        // not a[0]
  Cond,       // a[1] if a[0] else a[2] (a[2] may be null)
  Filter,     // a[0] | name(a[1..], kwargs); a[0] null inside {% filter %} / {% set %} blocks
  Test,       // a[0] is [not] name(a[1..], kwargs)
  Call,       // a[0](a[1..], kwargs); kwargs named "*" / "**" are *args / **kwargs
  BlockValue  // the rendered body of a {% filter %} or block {% set %}
};

struct Expr {
  EK kind = EK::Const;
  int line = 0, col = 0;
  Value value;
  std::string name;
  bool negated = false;
  std::vector<std::unique_ptr<Expr>> a;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  std::vector<std::string> ops;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

enum class SK {
  Text,         // text
  Output,       // exprs[0]
  If,           // exprs = conditions; bodies = one per condition, plus else
  For,          // names = targets (tuple_target); exprs[0] = iterable, exprs[1] = filter or null;
                // bodies[0] = body, bodies[1] = else body
  Set,          // names = targets (tuple_target); or names = {ns}, attr = attribute; exprs[0] = value
  SetBlock,     // names/attr as Set; exprs[0] = filter chain over BlockValue or null; bodies[0]
  Macro,        // text = macro name; names = params; exprs = defaults (null when none); bodies[0]
  CallBlock,    // exprs[0] = the call; names/exprs[1..] = caller params/defaults; bodies[0] = caller body
  FilterBlock,  // exprs[0] = filter chain over BlockValue; bodies[0]
  With,         // names = targets; exprs = values; bodies[0]
  Break,
  Continue
};

struct Stmt {
  SK kind = SK::Text;
  int line = 0, col = 0;
  std::string text;
  std::string attr;
  std::vector<std::string> names;
  bool tuple_target = false;
  bool uses_caller = false, uses_varargs = false, uses_kwargs = false;  // Macro / CallBlock
  std::vector<ExprPtr> exprs;
  std::vector<Body> bodies;
  // Per body (frame): names that start out undefined there (see analyze.cpp).
  std::vector<std::vector<std::string>> frame_undefs;
};

// Parses template source into a body; throws r1::Error with line:column on syntax errors,
// unknown tags/filters/tests and unsupported constructs.
Body parse_template(const std::string& source);

// jinja2's compile-time scoping: fills Stmt::frame_undefs and returns the template frame's names that
// start out undefined (hiding context variables of the same name).
std::vector<std::string> analyze_scopes(Body& body);

// Filter and test names the evaluator knows (jinja2 built-ins, including ones that error when used).
bool is_known_filter(const std::string& name);
bool is_known_test(const std::string& name);

}  // namespace r1::jinja
