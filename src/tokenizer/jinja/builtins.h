// Internal: operators, attribute/item access, Python methods, filters and tests of the interpreter.
#pragma once

#include <string>
#include <string_view>

#include "tokenizer/jinja/value.h"

namespace r1::jinja {

// ops.cpp: Python operators with jinja2's sandboxed attribute and item lookup.
Value binary_op(const std::string& op, const Value& a, const Value& b);
Value unary_op(const std::string& op, const Value& a);
bool compare_op(const std::string& op, const Value& a, const Value& b);  // == != < > <= >= in notin
bool contains(const Value& container, const Value& item);                // `item in container`
Value getattr(const Value& obj, const std::string& name);                // `obj.name`
Value getitem(const Value& obj, const Value& key);                       // `obj[key]`
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
int64_t to_index(const Value& v, const char* what);  // int (or bool) argument, else TypeError

// methods.cpp: str/dict/list methods exposed by the sandbox. Sets *out to a bound method, or to an
// Undefined that fails like jinja2's "unsafe" access for mutating methods; false if no such attribute.
bool bind_method(const Value& obj, const std::string& name, Value* out);
std::u32string py_capitalize(const std::u32string& s);  // str.capitalize()
Value call_str_method(const Value& self, const std::string& name, const Args& args);
std::string percent_format(const std::string& fmt, const Value& args);  // Python `fmt % args`
std::string html_escape(std::string_view s);

// filters.cpp / builtin_tests.cpp
Value call_filter(const std::string& name, const Value& v, const Args& args);
bool call_test(const std::string& name, const Value& v, const Args& args);

}  // namespace r1::jinja
