// Writes a small but real byte-level BPE tokenizer (tokenizer.json + tokenizer_config.json) for models made
// by `r1 init` and `r1 train`: DeepSeek's special tokens, the 256 byte tokens, and merges of common English
// pairs filling the vocabulary up to vocab_size. The chat template follows DeepSeek-V3's format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1::tok {

// Ids: 0 <｜begin▁of▁sentence｜>, 1 <｜end▁of▁sentence｜>, 2 <｜▁pad▁｜>, 3 <｜User｜>, 4 <｜Assistant｜>,
// 5 <think>, 6 </think>, then bytes from 7, merges, and placeholder tokens up to vocab_size (at least 263).
// think_prompt: the generation prompt opens the reasoning ("<｜Assistant｜><think>\n"), as the chat template
// of DeepSeek-R1 and its R1-Distill (Qwen2 / Llama) folders does; otherwise it ends at "<｜Assistant｜>".
void write_byte_tokenizer(const std::string& dir, int64_t vocab_size, bool think_prompt = false);

// A character-level tokenizer for the small models r1 trains (synthetic corpora): the same specials and 256
// byte tokens, no merges (every byte is one token), and <answer> (263), </answer> (264) as added tokens.
// Returns its vocab_size (265).
int64_t write_char_tokenizer(const std::string& dir, bool think_prompt = false);

// r1's own chat template in DeepSeek's format (system prompt first, <｜User｜>/<｜Assistant｜> turns,
// R1-style dropping of earlier <think>…</think> reasoning from assistant turns), with or without the
// opened <think> on the generation prompt.
std::string deepseek_style_chat_template(bool think_prompt = false);

}  // namespace r1::tok
