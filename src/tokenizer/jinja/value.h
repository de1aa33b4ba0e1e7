// Runtime values of the chat-template interpreter, modelled on the Python objects jinja2 works with:
// Undefined, None, bool, int, float, str, list/tuple (and the iterator-like views Python hands back),
// dict, jinja2's Namespace and LoopContext, and callables (builtins, macros, bound methods).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace r1::jinja {

enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Func };

// What Python type a List value stands for. Iterator covers generators and reverse iterators:
// iterable, no len(), always truthy, not renderable.
enum class ListKind { List, Tuple, Iterator, DictItems, DictKeys, DictValues, Range };
enum class DictKind { Dict, Namespace, Loop };

struct ListData;
struct DictData;
struct FuncData;

struct Value {
  Kind kind = Kind::Undefined;
  bool b = false;  // Bool value; for String: the markupsafe.Markup flag
  int64_t i = 0;   // Int value
  double f = 0;    // Float value
  std::string s;   // String text; for Undefined: the message to fail with when it is misused
  std::shared_ptr<ListData> list;
  std::shared_ptr<DictData> dict;
  std::shared_ptr<FuncData> fn;

  static Value undefined(std::string hint);
  static Value none();
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value number(double v);
  static Value string(std::string v, bool markup = false);
  static Value make_list(std::vector<Value> items, ListKind lk = ListKind::List);
  static Value make_dict(DictKind dk = DictKind::Dict);

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_list() const { return kind == Kind::List; }
  bool is_func() const { return kind == Kind::Func; }
  bool is_int() const { return kind == Kind::Int; }  // excludes bool
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  bool is_mapping() const;  // a plain dict
  bool is_namespace() const;
  ListKind list_kind() const;
  const std::vector<Value>& items() const;  // List only
};

struct ListData {
  ListKind kind = ListKind::List;
  std::vector<Value> items;
  int64_t range_start = 0, range_stop = 0, range_step = 1;  // Range repr
};

struct DictData {
  DictKind kind = DictKind::Dict;
  std::vector<std::pair<Value, Value>> items;  // insertion order, like a Python dict

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  void set(const Value& key, Value v);
  void set(const std::string& key, Value v);
};

// Call arguments: positional and keyword, as Python passes them.
struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

class Interp;

struct FuncData {
  std::string name;  // for messages: "range", "macro 'm'", "method 'split' of str"
  std::function<Value(Interp&, Args&)> call;
};

// An error inside evaluation whose position is not known yet; the interpreter adds line:column.
class RuntimeError : public Error {
 public:
  explicit RuntimeError(const std::string& msg) : Error(msg) {}
};
// raise_exception(): passes through untouched.
class RaisedError : public Error {
 public:
  explicit RaisedError(const std::string& msg) : Error(msg) {}
};

[[noreturn]] void fail(const std::string& msg);
// Throws the error that using an Undefined value produces ("'x' is undefined").
[[noreturn]] void fail_undefined(const Value& v);

// Python semantics.
std::string type_name(const Value& v);
bool truthy(const Value& v);
bool py_equal(const Value& a, const Value& b);
int py_compare(const Value& a, const Value& b);  // <0, 0, >0; throws for unorderable types
std::string float_repr(double d);
std::string repr(const Value& v);
std::string to_str(const Value& v);  // str(v), as {{ v }} renders it; throws for unrenderable objects
Value from_json(const nlohmann::ordered_json& j);

// Python iteration: str -> chars, dict -> keys, Undefined -> nothing; throws for non-iterables.
std::vector<Value> iterate(const Value& v);
// len(); throws for objects without a length.
int64_t py_len(const Value& v);
// Python repr of a str.
std::string str_repr(std::string_view s);

struct JsonOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
};
// json.dumps(v, ...) as the transformers `tojson` filter calls it.
std::string to_json(const Value& v, const JsonOptions& opt);

// Argument binding for builtins: Python-style positional/keyword matching against named parameters.
struct Param {
  const char* name;
  Value def;
  bool required = false;
};
std::vector<Value> bind_args(const Args& args, const std::vector<Param>& params, const std::string& what);

}  // namespace r1::jinja
