// Tokenizer for the chat-template language, following jinja2's lexer with trim_blocks=True,
// lstrip_blocks=True and keep_trailing_newline=False: whitespace control ({%- -%} {{- -}} {#- -#},
// {%+ +%}) is applied here, comments are dropped and {% raw %} bodies come out as plain data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1::jinja {

enum class Tok { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // data text, name, decoded string literal, or operator
  int64_t ival = 0;
  double fval = 0;
  int line = 1, col = 1;
};

// Throws r1::Error("chat template line L:C: ...") on malformed input.
std::vector<Token> lex(const std::string& source);

// "chat template line L:C: " prefix used by all positioned errors.
std::string where(int line, int col);

}  // namespace r1::jinja
