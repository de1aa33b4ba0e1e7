#include "tokenizer/normalizer.h"

#include <algorithm>
#include <tuple>
#include <cstdint>
#include <vector>

#include "tokenizer/byte_level.h"

namespace r1::tok {

namespace {

struct CombiningClass {
  char32_t cp;
  uint8_t ccc;
};
struct Decomposition {
  char32_t cp;
  uint16_t offset;
  uint8_t length;
};
struct Composition {
  char32_t first, second, composite;
};

#include "tokenizer/unicode_nfc.inc"

// Hangul syllables are composed and decomposed arithmetically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint8_t combining_class(char32_t cp) {
  const auto* end = kCombiningClass + std::size(kCombiningClass);
  const auto* it = std::lower_bound(kCombiningClass, end, cp, [](const CombiningClass& c, char32_t v) { return c.cp < v; });
  return it != end && it->cp == cp ? it->ccc : 0;
}

void decompose(char32_t cp, std::vector<char32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  const auto* end = kDecomposition + std::size(kDecomposition);
  const auto* it = std::lower_bound(kDecomposition, end, cp, [](const Decomposition& d, char32_t v) { return d.cp < v; });
  if (it == end || it->cp != cp) return out->push_back(cp);
  out->insert(out->end(), kDecompositionPool + it->offset, kDecompositionPool + it->offset + it->length);
}

// The primary composite of (a, b), or 0.
char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto* end = kComposition + std::size(kComposition);
  const auto* it = std::lower_bound(kComposition, end, std::pair{a, b}, [](const Composition& c, std::pair<char32_t, char32_t> v) {
    return c.first < v.first || (c.first == v.first && c.second < v.second);
  });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

std::string nfc(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return std::string(text);
  // 1. Full canonical decomposition.
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const int32_t cp = next_codepoint(text, &i);
    decompose(cp < 0 ? 0xFFFD : char32_t(cp), &cps);
  }
  // 2. Canonical ordering: each run of non-starters sorted (stably) by combining class.
  std::vector<uint8_t> cls(cps.size());
  for (size_t i = 0; i < cps.size(); ++i) cls[i] = combining_class(cps[i]);
  for (size_t i = 0; i < cps.size();) {
    if (cls[i] == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && cls[j] != 0) ++j;
    std::vector<std::pair<uint8_t, char32_t>> run;
    for (size_t k = i; k < j; ++k) run.emplace_back(cls[k], cps[k]);
    std::stable_sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = i; k < j; ++k) std::tie(cls[k], cps[k]) = run[k - i];
    i = j;
  }
  // 3. Canonical composition: a character joins the last starter unless blocked (an intervening character of
  // the same or higher class, or any starter).
  std::vector<char32_t> out;
  std::vector<uint8_t> out_cls;
  out.reserve(cps.size());
  size_t starter = SIZE_MAX;
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    const uint8_t k = cls[i];
    if (starter != SIZE_MAX) {
      const uint8_t last = out_cls.back();
      const bool adjacent = out.size() == starter + 1;
      const bool blocked = !adjacent && (last == 0 || last >= k);
      if (!blocked) {
        if (const char32_t comp = compose(out[starter], c)) {
          out[starter] = comp;
          continue;
        }
      }
    }
    if (k == 0) starter = out.size();
    out.push_back(c);
    out_cls.push_back(k);
  }
  std::string s;
  s.reserve(text.size());
  for (char32_t c : out) append_utf8(uint32_t(c), &s);
  return s;
}

}  // namespace r1::tok
