// NFC by hand-checked cases from Unicode Standard Annex #15 (the corpus test checks it against Hugging Face).
#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

namespace r1::tok {
namespace {

TEST(Nfc, ComposesDecomposesAndReorders) {
  EXPECT_EQ(nfc("plain ASCII"), "plain ASCII");
  EXPECT_EQ(nfc("e\u0301"), "\u00e9");                        // e + acute -> é
  EXPECT_EQ(nfc("\u212B"), "\u00C5");                         // singleton: ANGSTROM SIGN -> Å
  EXPECT_EQ(nfc("\u0958"), "\u0915\u093C");                   // composition exclusion stays decomposed
  EXPECT_EQ(nfc("q\u0307\u0323"), "q\u0323\u0307");           // marks reordered by class (220 before 230)
  EXPECT_EQ(nfc("d\u0307\u0323"), "\u1E0D\u0307");            // reordered, then d + dot below composes
  EXPECT_EQ(nfc("\u1E0B\u0323"), "\u1E0D\u0307");             // precomposed input gives the same
  EXPECT_EQ(nfc("\u1100\u1161\u11A8"), "\uAC01");             // Hangul L V T -> one syllable
  EXPECT_EQ(nfc("\uAC00\u11A8"), "\uAC01");                   // LV syllable + T
  EXPECT_EQ(nfc("\u0301a"), "\u0301a");                       // a leading mark has no starter to join
  EXPECT_EQ(nfc("a\u0301\u0301"), "\u00e1\u0301");            // the second acute is blocked by the first
  EXPECT_EQ(nfc("\u00C5\u0301"), "\u01FA");                   // Å + acute -> Ǻ
}

TEST(Nfc, UsesUnicode9TablesLikeHuggingFace) {
  // U+1DF5 (Unicode 9.0, class 230) is reordered after the dot below; U+1DF6 (10.0) is an unknown starter.
  EXPECT_EQ(nfc("a\u1DF5\u0323"), "\u1EA1\u1DF5");
  EXPECT_EQ(nfc("a\u1DF6\u0323"), "a\u1DF6\u0323");
}

}  // namespace
}  // namespace r1::tok
