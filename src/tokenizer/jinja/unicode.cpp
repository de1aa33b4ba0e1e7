#include "tokenizer/jinja/unicode.h"

#include <cstdio>

#include "core/error.h"

namespace r1::jinja::uni {

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    if (i + n >= s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    bool ok = true;
    for (int k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

size_t length(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

bool is_space(char32_t c) {
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return true;
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_line_break(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

bool is_printable(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD) return false;
  if (c < 0x600) return true;
  if ((c >= 0x600 && c <= 0x605) || c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x8E2 || c == 0x180E ||
      c == 0x1680)
    return false;
  if ((c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x2064) ||
      (c >= 0x2066 && c <= 0x206F) || c == 0x3000)
    return false;
  if ((c >= 0xD800 && c <= 0xF8FF) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || c == 0xFFFE ||
      c == 0xFFFF)
    return false;
  if (c == 0x110BD || (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) || c == 0xE0001 ||
      (c >= 0xE0020 && c <= 0xE007F) || c >= 0xF0000)
    return false;
  return true;
}

namespace {

// Ranges holding cased letters whose case mappings r1 does not carry (upper/lower on them is a clear error): refusing beats guessing.
void check_supported(char32_t c) {
  const bool unsupported =
      (c >= 0x180 && c <= 0x2AF) || (c >= 0x370 && c <= 0x385) || c == 0x3CF || (c >= 0x3D0 && c <= 0x3FF) ||
      (c >= 0x500 && c <= 0x58F) || (c >= 0x10A0 && c <= 0x10FF) || (c >= 0x13A0 && c <= 0x13FF) ||
      (c >= 0x1C80 && c <= 0x1CBF) || (c >= 0x1D00 && c <= 0x1FFF) || c == 0x2126 || c == 0x212A ||
      c == 0x212B || c == 0x2132 || c == 0x214E || (c >= 0x2160 && c <= 0x2184) ||
      (c >= 0x24B6 && c <= 0x24E9) || (c >= 0x2C00 && c <= 0x2D2F) || (c >= 0xA640 && c <= 0xA69F) ||
      (c >= 0xA722 && c <= 0xA7FF) || (c >= 0xAB70 && c <= 0xABBF) || (c >= 0xFB00 && c <= 0xFB17) ||
      (c >= 0x10400 && c <= 0x1044F) || (c >= 0x104B0 && c <= 0x104FF) || (c >= 0x10C80 && c <= 0x10CFF) ||
      (c >= 0x118A0 && c <= 0x118DF) || (c >= 0x16E40 && c <= 0x16E9F) || (c >= 0x1E900 && c <= 0x1E94F);
  if (unsupported) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
    throw Error(std::string("chat template: case mapping of ") + buf + " is not supported");
  }
}

// Single-code-point mappings; 0 means "maps to itself".
char32_t simple_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0xB5) return 0;
  if (c == 0xB5) return 0x39C;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x131) return 'I';
    if (c == 0x17F) return 'S';
    if ((c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c - 1 : 0;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? 0 : c - 1;
    return 0;
  }
  if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
  if (c == 0x3C2) return 0x3A3;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x4FF))
    return (c & 1) ? c - 1 : 0;
  if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? 0 : c - 1;
  if (c == 0x4CF) return 0x4C0;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
  return 0;
}

char32_t simple_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0xC0) return 0;
  if (c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x178) return 0xFF;
    if ((c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? 0 : c + 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : 0;
    return 0;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x4FF))
    return (c & 1) ? 0 : c + 1;
  if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : 0;
  if (c == 0x4C0) return 0x4CF;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return 0;
}

void push_upper(std::u32string& out, char32_t c) {
  check_supported(c);
  if (c == 0xDF) {
    out += U"SS";
  } else if (c == 0x149) {
    out += U"\u02BCN";
  } else if (c == 0x390) {
    out += U"\u0399\u0308\u0301";
  } else if (c == 0x3B0) {
    out += U"\u03A5\u0308\u0301";
  } else {
    const char32_t u = simple_upper(c);
    out.push_back(u ? u : c);
  }
}

bool case_ignorable(char32_t c) {
  return c == '\'' || c == '.' || c == ':' || c == '^' || c == '`' || c == 0xA8 || c == 0xAD || c == 0xAF ||
         c == 0xB4 || c == 0xB7 || c == 0xB8 || c == 0x2019 || (c >= 0x300 && c <= 0x36F);
}

}  // namespace

bool is_upper(char32_t c) {
  check_supported(c);
  return simple_lower(c) != 0 || c == 0x130;
}

bool is_lower(char32_t c) {
  check_supported(c);
  return simple_upper(c) != 0 || c == 0xDF || c == 0x149 || c == 0x138 || c == 0x390 || c == 0x3B0 ||
         c == 0xAA || c == 0xBA;
}

bool is_cased(char32_t c) {
  return is_upper(c) || is_lower(c);
}

std::u32string upper(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t c : s) push_upper(out, c);
  return out;
}

std::u32string lower_at(std::u32string_view s, size_t i) {
  const char32_t c = s[i];
  check_supported(c);
  if (c == 0x130) return U"i\u0307";
  if (c == 0x3A3) {
    // Final sigma: preceded by a cased letter and not followed by one (case-ignorables skipped).
    size_t j = i;
    bool before = false, after = false;
    while (j > 0) {
      --j;
      if (case_ignorable(s[j])) continue;
      before = is_cased(s[j]);
      break;
    }
    for (size_t k = i + 1; k < s.size(); ++k) {
      if (case_ignorable(s[k])) continue;
      after = is_cased(s[k]);
      break;
    }
    return std::u32string(1, before && !after ? char32_t{0x3C2} : char32_t{0x3C3});
  }
  const char32_t l = simple_lower(c);
  return std::u32string(1, l ? l : c);
}

std::u32string lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) out += lower_at(s, i);
  return out;
}

std::u32string title_case(char32_t c) {
  if (c == 0xDF) return U"Ss";
  if (c == 0x149) return U"\u02BCN";
  std::u32string out;
  push_upper(out, c);
  return out;
}

std::string strip(std::string_view s, const std::u32string* chars, bool left, bool right) {
  const std::u32string cps = decode(s);
  auto strippable = [&](char32_t c) { return chars ? chars->find(c) != std::u32string::npos : is_space(c); };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strippable(cps[b])) ++b;
  if (right)
    while (e > b && strippable(cps[e - 1])) --e;
  return encode(std::u32string_view(cps).substr(b, e - b));
}

}  // namespace r1::jinja::uni
