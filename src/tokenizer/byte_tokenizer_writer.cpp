#include "tokenizer/byte_tokenizer_writer.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "io/file_util.h"
#include "tokenizer/byte_level.h"

namespace r1::tok {

using ojson = nlohmann::ordered_json;

std::string deepseek_style_chat_template(bool think_prompt) {
  const char* body =
         "{{ bos_token }}"
         "{%- for m in messages if m['role'] == 'system' %}{{ m['content'] }}{%- endfor %}"
         "{%- for m in messages %}"
         "{%- if m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}"
         "{%- elif m['role'] == 'assistant' %}"
         "{%- set c = m['content'] %}"
         "{%- if '</think>' in c %}{%- set c = c.split('</think>')[-1] %}{%- endif %}"
         "{{ '<｜Assistant｜>' + c + '<｜end▁of▁sentence｜>' }}"
         "{%- endif %}"
         "{%- endfor %}"
         "{%- if add_generation_prompt %}{{ '<｜Assistant｜>";
  return std::string(body) + (think_prompt ? "<think>\\n" : "") + "' }}{%- endif %}";
}

namespace {

const char* kSpecial[] = {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>",
                          "<｜Assistant｜>", "<think>", "</think>"};

void write_tokenizer(const std::string& dir, int64_t vocab_size, bool think_prompt, bool with_merges,
                     const std::vector<std::string>& extra_added) {
  const int64_t n_special = 7;
  require(vocab_size >= n_special + 256, "a byte-level tokenizer needs vocab_size >= 263");
  ojson vocab = ojson::object();
  ojson added = ojson::array();
  for (int64_t i = 0; i < n_special; ++i) {
    vocab[kSpecial[i]] = i;
    added.push_back({{"id", i}, {"content", kSpecial[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", i < 5}});
  }
  int64_t next = n_special;
  for (int b = 0; b < 256; ++b) vocab[byte_to_unicode(uint8_t(b))] = next++;
  // Merges: a space before each letter, then letter pairs in a fixed order of common English bigrams first.
  ojson merges = ojson::array();
  std::set<std::string> have;
  auto add_merge = [&](const std::string& a, const std::string& b) {
    if (next >= vocab_size || have.count(a + b) || !vocab.contains(a) || !vocab.contains(b)) return;
    have.insert(a + b);
    vocab[a + b] = next++;
    merges.push_back(a + " " + b);
  };
  if (with_merges) {
    const std::string space = byte_to_unicode(' ');
    for (char c = 'a'; c <= 'z'; ++c) add_merge(space, std::string(1, c));
    for (const char* bg : {"th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of",
                           "ed", "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le"})
      add_merge(std::string(1, bg[0]), std::string(1, bg[1]));
    for (char a = 'a'; a <= 'z'; ++a)
      for (char b = 'a'; b <= 'z'; ++b) add_merge(std::string(1, a), std::string(1, b));
    for (char a = '0'; a <= '9'; ++a)
      for (char b = '0'; b <= '9'; ++b) add_merge(std::string(1, a), std::string(1, b));
  }
  for (const std::string& content : extra_added) {  // more added tokens (e.g. <answer>), not special
    require(next < vocab_size, "vocab_size too small for the added tokens");
    vocab[content] = next;
    added.push_back({{"id", next}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", false}});
    ++next;
  }
  // Ids the merges do not fill become placeholder tokens (as in DeepSeek's own padded vocabularies), so every
  // id a model can emit has text.
  for (; next < vocab_size; ++next) {
    const std::string content = "<｜place▁holder▁no▁" + std::to_string(next) + "｜>";
    vocab[content] = next;
    added.push_back({{"id", next}, {"content", content}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", false}});
  }
  ojson tok = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         ojson::array({{{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}{1,3}"}}}, {"behavior", "Isolated"}, {"invert", false}},
                       {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}})}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
        {"merges", merges}}}};
  write_file_atomic(dir + "/tokenizer.json", tok.dump(1) + "\n");
  ojson cfg = {{"add_bos_token", true},
               {"add_eos_token", false},
               {"bos_token", kSpecial[0]},
               {"eos_token", kSpecial[1]},
               {"pad_token", kSpecial[1]},
               {"model_max_length", 16384},
               {"tokenizer_class", "LlamaTokenizerFast"},
               {"chat_template", deepseek_style_chat_template(think_prompt)}};
  write_file_atomic(dir + "/tokenizer_config.json", cfg.dump(1) + "\n");
}

}  // namespace

void write_byte_tokenizer(const std::string& dir, int64_t vocab_size, bool think_prompt) {
  write_tokenizer(dir, vocab_size, think_prompt, /*with_merges=*/true, {});
}

int64_t write_char_tokenizer(const std::string& dir, bool think_prompt) {
  const int64_t vocab_size = 7 + 256 + 2;
  write_tokenizer(dir, vocab_size, think_prompt, /*with_merges=*/false, {"<answer>", "</answer>"});
  return vocab_size;
}

}  // namespace r1::tok
