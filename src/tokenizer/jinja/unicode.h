// UTF-8 and Python str helpers for the chat-template interpreter: Python strings are sequences of code
// points, so lengths, indices, slices, case mapping and whitespace follow Python's str rules here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace r1::jinja::uni {

// Decodes UTF-8 into code points. Invalid bytes decode as U+FFFD (JSON input is valid UTF-8 anyway).
std::u32string decode(std::string_view s);
std::string encode(std::u32string_view s);
void append_utf8(std::string& out, char32_t cp);

// Number of code points.
size_t length(std::string_view s);
bool is_ascii(std::string_view s);

// Python str.isspace(), which is also what `\s` and str.split()/strip() without arguments use.
bool is_space(char32_t c);
// Line boundaries of Python str.splitlines().
bool is_line_break(char32_t c);
// Python str.isprintable() approximation used by repr(): false for controls, separators other than
// space, format characters, surrogates and private use.
bool is_printable(char32_t c);

// Case mapping for the scripts chat templates realistically touch (ASCII, Latin-1, Latin Extended-A,
// basic Greek and Cyrillic, fullwidth Latin). Throws r1::Error for cased letters outside those ranges
// rather than silently mapping them wrong.
std::u32string upper(std::u32string_view s);
std::u32string lower(std::u32string_view s);
// Lowercase of s[i] in its context (Greek final sigma looks at the neighbours).
std::u32string lower_at(std::u32string_view s, size_t i);
std::u32string title_case(char32_t c);  // titlecase mapping of one code point (ß -> "Ss")
bool is_cased(char32_t c);
bool is_upper(char32_t c);
bool is_lower(char32_t c);

// Python str.strip/lstrip/rstrip; chars == nullptr strips whitespace.
std::string strip(std::string_view s, const std::u32string* chars, bool left, bool right);

}  // namespace r1::jinja::uni
