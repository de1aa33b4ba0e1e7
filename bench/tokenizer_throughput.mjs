// Encoding throughput of a reference tokenizer on one text: node bench/tokenizer_throughput.mjs rust|lenml DIR TEXT REPS
// Prints {"bytes", "ids", "repeats", "cold_mb_per_s", "median_mb_per_s"} like `r1 tokenize --bench`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/fixtures/package.json", import.meta.url));
const [engine, dir, textPath, repsArg] = process.argv.slice(2);
const text = readFileSync(textPath, "utf8");
const bytes = Buffer.byteLength(text);
let encode;
if (engine === "rust") {
  const { Tokenizer } = require("tokenizers");
  const tok = Tokenizer.fromFile(join(dir, "tokenizer.json"));
  encode = async () => (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length;
} else {
  const { TokenizerLoader } = await import(require.resolve("@lenml/tokenizers"));
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8")),
  });
  encode = async () => tok.encode(text, { add_special_tokens: false }).length;
}
const reps = Number(repsArg || 5);
const secs = [];
let ids = 0;
for (let i = 0; i < reps; ++i) {
  const t0 = process.hrtime.bigint();
  ids = await encode();
  secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const cold = secs[0];
secs.sort((a, b) => a - b);
const med = secs[Math.floor(secs.length / 2)];
console.log(JSON.stringify({ bytes, ids, repeats: reps, cold_mb_per_s: +(bytes / cold / 1e6).toFixed(2),
                             median_mb_per_s: +(bytes / med / 1e6).toFixed(2) }));
