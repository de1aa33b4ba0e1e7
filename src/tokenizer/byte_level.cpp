#include "tokenizer/byte_level.h"

#include <array>

namespace r1::tok {

namespace {

struct Tables {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 512> from_unicode;  // code points used are < 0x100 + 68
  Tables() {
    from_unicode.fill(-1);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      const uint32_t cp = printable ? uint32_t(b) : uint32_t(0x100 + extra++);
      append_utf8(cp, &to_unicode[size_t(b)]);
      from_unicode[cp] = int16_t(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return tables().to_unicode[b]; }

void bytes_to_unicode(std::string_view bytes, std::string* out) {
  const Tables& t = tables();
  for (unsigned char c : bytes) *out += t.to_unicode[c];
}

int unicode_to_byte(uint32_t cp) { return cp < 512 ? tables().from_unicode[cp] : -1; }

int32_t next_codepoint(std::string_view s, size_t* i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size(), k = *i;
  const unsigned char c = p[k];
  int len;
  uint32_t cp;
  if (c < 0x80) { *i = k + 1; return c; }
  if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
  else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
  else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
  else { *i = k + 1; return -1; }
  if (k + size_t(len) > n) { *i = k + 1; return -1; }
  for (int j = 1; j < len; ++j) {
    if ((p[k + size_t(j)] & 0xc0) != 0x80) { *i = k + 1; return -1; }
    cp = (cp << 6) | (p[k + size_t(j)] & 0x3f);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) { *i = k + 1; return -1; }
  *i = k + size_t(len);
  return int32_t(cp);
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xc0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xe0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(char(0xf0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(char(0x80 | (cp & 0x3f)));
  }
}

}  // namespace r1::tok
