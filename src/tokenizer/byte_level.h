// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable Unicode character, so a byte-level
// BPE vocabulary can spell any byte string. Bytes that are printable Latin-1 map to themselves; the other 68
// bytes map to U+0100 onwards, in byte order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace r1::tok {

// UTF-8 of the character standing for byte b.
const std::string& byte_to_unicode(uint8_t b);
// Appends the byte-level spelling of `bytes` to out.
void bytes_to_unicode(std::string_view bytes, std::string* out);
// Reverses the map for one code point; -1 if the code point stands for no byte.
int unicode_to_byte(uint32_t cp);

// UTF-8 helpers. next_codepoint decodes at s[*i] and advances *i; invalid input yields -1 and advances by 1.
int32_t next_codepoint(std::string_view s, size_t* i);
void append_utf8(uint32_t cp, std::string* out);

}  // namespace r1::tok
