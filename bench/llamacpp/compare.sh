#!/usr/bin/env bash
# r1 next to llama.cpp on the same DeepSeek weights, CPU only: prompt processing (pp) and decode (tg) tokens/s
# with llama-bench's definitions, peak RSS of each run, one markdown table.
#
# Usage: bench/llamacpp/compare.sh MODEL_DIR
#   MODEL_DIR  a Hugging Face folder r1 reads (e.g. `build/r1 init --config v2-lite-8l --out DIR`)
#
# Environment (defaults in brackets):
#   LLAMACPP_SRC    llama.cpp source tree, see README.md for how to get it at the pinned commit [the folder llamacpp-src beside the checkout]
#   LLAMACPP_BUILD  its CPU build; built with build_llamacpp.sh when llama-bench is missing [$LLAMACPP_SRC/build-cpu]
#   GGUF_DIR        converted models, reused when newer than the checkpoint [r1bench/gguf beside the checkout]
#   OUT_DIR         raw results and table.md [r1bench/results/NAME-DATE beside the checkout]
#   R1              the r1 binary [REPO/build/r1]
#   THREADS [1 2]   P [512]   N [128]   REPS [3]: repetitions inside each llama-bench / r1 bench call
#   ROUNDS [1]      alternations of the two engines; the order flips every round; medians over everything
#   TYPES           llama.cpp weight types [bf16 q8_0 q4_k_m]; r1 runs the checkpoint's own dtype (bf16) next to
#                   bf16, q8 next to q8_0 and q4 (4.5 bits/weight) next to q4_k_m (~4.8): folders written once by
#                   `r1 quantize` (R1Q_DIR, reused when newer than the checkpoint and the r1 binary), as the
#                   GGUFs are by llama-quantize, so neither engine quantizes or holds the bf16 file while timed
#   R1Q_DIR         r1's quantized folders [r1bench/r1q beside the checkout]
#   R1_LOAD [copy]  r1's --load (copy: weights in huge-page memory; mmap: mapped like llama.cpp's default)
#   LLAMA_ARGS      extra llama-bench arguments, e.g. "-mmp 0" (read the weights into memory instead of mapping)
#   r1 also measures the machine's read bandwidth before each r1 run, in a separate process (r1 bench -p 0 -n 0
#   --bandwidth) so that its buffer stays out of r1's peak RSS; the table gives
#   both engines' decode as a % of that bound (bytes of active weights per token x tokens/s / bandwidth)
#   VERIFY [1]      check the bf16 GGUF against r1 (logits + greedy tokens, verify.py) before timing
#   NICE [19]       niceness of every build, conversion and benchmark (0 for quiet machines)
#   IDLE_WAIT [900] IDLE_MAX_BUSY [0.10]: before each timed run, wait up to IDLE_WAIT s for the machine's busy
#                   fraction (2 s sample) to fall to IDLE_MAX_BUSY; the CPUs other processes used during each run
#                   are recorded and shown in the table (a niced benchmark next to a compile is not a measurement),
#                   and so are major page faults (weights read from disk again: the page cache could not hold
#                   both engines' files, e.g. 8.6 + 9.2 GB for v2-lite-8l next to other jobs in 23 GiB)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
model="$(cd "${1:?usage: compare.sh MODEL_DIR}" && pwd)"
name="$(basename "$model")"
src="${LLAMACPP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)/../llamacpp-src}"
build="${LLAMACPP_BUILD:-$src/build-cpu}"
gguf_dir="${GGUF_DIR:-$repo/../r1bench/gguf}"
r1q_dir="${R1Q_DIR:-$repo/../r1bench/r1q}"
out="${OUT_DIR:-$repo/../r1bench/results/$name-$(date +%Y%m%d-%H%M%S)}"
r1="${R1:-$repo/build/r1}"
threads="${THREADS:-1 2}"
P="${P:-512}"; N="${N:-128}"; reps="${REPS:-3}"; rounds="${ROUNDS:-1}"
types="${TYPES:-bf16 q8_0 q4_k_m}"
verify="${VERIFY:-1}"
nice_="nice -n ${NICE:-19}"
py=/usr/bin/python3
mkdir -p "$gguf_dir" "$r1q_dir" "$out"

log() { echo "[compare] $*" >&2; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. llama.cpp binaries
if [[ ! -x "$build/bin/llama-bench" || ! -x "$build/bin/llama-quantize" || ! -x "$build/bin/r1-probe-llamacpp" ]]; then
  log "building llama.cpp in $build"
  LLAMACPP_SRC="$src" LLAMACPP_BUILD="$build" "$here/build_llamacpp.sh"
fi
[[ -f "$build/r1-bench-build.txt" ]] && cp "$build/r1-bench-build.txt" "$out/llamacpp-build.txt"

# 2. GGUFs: bf16 by hf_to_gguf.py (bit-exact copy of bf16 weights), the others by llama-quantize from it
newest_src="$(ls -t "$model"/*.safetensors "$model"/config.json | head -1)"
gguf_of() { echo "$gguf_dir/$name-$1.gguf"; }
convert_times="$out/convert-times.txt"; : > "$convert_times"
bf16="$(gguf_of bf16)"
if [[ ! -f "$bf16" || "$newest_src" -nt "$bf16" ]]; then
  log "converting $model -> $bf16"
  t0=$(date +%s.%N)
  $nice_ "$py" "$here/hf_to_gguf.py" "$model" "$bf16" --outtype bf16 --llamacpp-src "$src" | tee -a "$out/convert.log"
  echo "bf16 hf_to_gguf.py $(since "$t0") s" >> "$convert_times"
fi
for t in $types; do
  [[ "$t" == bf16 ]] && continue
  f="$(gguf_of "$t")"
  if [[ ! -f "$f" || "$bf16" -nt "$f" ]]; then
    log "quantizing -> $f"
    qt="$(echo "$t" | tr a-z A-Z)"
    t0=$(date +%s.%N)
    $nice_ "$build/bin/llama-quantize" "$bf16" "$f" "$qt" 2 > "$out/quantize-$t.log" 2>&1 \
      || { tail -20 "$out/quantize-$t.log"; exit 1; }
    echo "$t llama-quantize $(since "$t0") s" >> "$convert_times"
  fi
done
ls -l "$gguf_dir"/"$name"-*.gguf > "$out/gguf-sizes.txt"
r1_quant() {  # llama.cpp type -> r1's nearest format (q8_0: the same 8.5 bits; q4_k_m: r1's q4, 4.5 bits)
  case "$1" in q8_0) echo q8 ;; q4_0|q4_k_m|q4_k_s) echo q4 ;; *) echo "" ;; esac
}
r1q_of() { echo "$r1q_dir/$name-$1"; }
for t in $types; do
  q="$(r1_quant "$t")"
  [[ -n "$q" ]] || continue
  d="$(r1q_of "$q")"
  if [[ ! -f "$d/config.json" || "$newest_src" -nt "$d/config.json" || "$r1" -nt "$d/config.json" ]]; then
    log "r1 quantize -> $d"
    rm -rf "$d"
    t0=$(date +%s.%N)
    $nice_ "$r1" quantize --model "$model" --out "$d" --type "$q" > "$out/r1-quantize-$q.log" 2>&1 \
      || { tail -20 "$out/r1-quantize-$q.log"; exit 1; }
    echo "$q r1 quantize $(since "$t0") s" >> "$convert_times"
  fi
done

# 3. the same weights give the same numbers
if [[ "$verify" == 1 ]]; then
  log "verifying $bf16 against r1"
  $nice_ "$py" "$here/verify.py" --r1 "$r1" --probe "$build/bin/r1-probe-llamacpp" --model "$model" --gguf "$bf16" \
    --threads 2 | tee "$out/verify.txt" || log "verify reported a mismatch (see $out/verify.txt); timing anyway"
fi

# 4. timings, the two engines alternating. Before each run wait (up to IDLE_WAIT s) for the other processes to use
# less than IDLE_MAX_BUSY of the CPUs; during it, record how many CPUs the rest of the machine used.
hz="$(getconf CLK_TCK)"; ncpu="$(nproc)"
idle_wait="${IDLE_WAIT:-900}"; idle_max_busy="${IDLE_MAX_BUSY:-0.10}"
cpu_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
busy_fraction() {  # over 2 s
  local b0 i0 b1 i1; read -r b0 i0 < <(cpu_jiffies); sleep 2; read -r b1 i1 < <(cpu_jiffies)
  awk -v b="$((b1 - b0))" -v i="$((i1 - i0))" 'BEGIN { t = b + i; printf "%.2f", (t > 0 ? b / t : 0) }'
}
wait_idle() {
  local start; start=$(date +%s)
  while :; do
    local f; f="$(busy_fraction)"
    awk -v f="$f" -v m="$idle_max_busy" 'BEGIN { exit !(f <= m) }' && return 0
    if (( $(date +%s) - start >= idle_wait )); then log "machine still ${f} busy after ${idle_wait} s; timing anyway"; return 0; fi
    sleep 5
  done
}
timed() {  # BASE CMD...: stdout -> BASE.jsonl, stderr -> BASE.err,
           # "rss_kib user_s sys_s wall_s others_cpus major_faults" -> BASE.time
  local base="$1"; shift
  wait_idle
  local b0 i0 b1 i1; read -r b0 i0 < <(cpu_jiffies)
  /usr/bin/time -f "%M %U %S %e %F" -o "$base.time0" $nice_ "$@" > "$base.jsonl" 2> "$base.err" \
    || { tail -20 "$base.err"; exit 1; }
  read -r b1 i1 < <(cpu_jiffies)
  local m u s e f; read -r m u s e f < "$base.time0"
  awk -v m="$m" -v u="$u" -v s="$s" -v e="$e" -v f="$f" -v db="$((b1 - b0))" -v hz="$hz" \
    'BEGIN { o = (db / hz - u - s) / (e > 0 ? e : 1); if (o < 0) o = 0; printf "%d %s %s %s %.2f %d\n", m, u, s, e, o, f }' \
    > "$base.time"
  rm -f "$base.time0"
}
run_llama() {  # type threads round
  # shellcheck disable=SC2086
  timed "$out/llama-$1-t$2-r$3" "$build/bin/llama-bench" -m "$(gguf_of "$1")" -p "$P" -n "$N" -t "$2" -r "$reps" -o jsonl \
    ${LLAMA_ARGS:-}
}
run_r1() {  # threads round [llama.cpp type]
  local t="${3:-bf16}" q m="$model"
  q="$(r1_quant "$t")"
  [[ -n "$q" ]] && m="$(r1q_of "$q")"
  # The read bandwidth in a process of its own: its 1 GiB buffer would otherwise count in r1's peak RSS.
  wait_idle
  $nice_ "$r1" bench --model "$m" -p 0 -n 0 -t "$1" -r 1 --json --bandwidth > "$out/r1bw-$t-t$1-r$2.jsonl" 2>&1 \
    || { tail -20 "$out/r1bw-$t-t$1-r$2.jsonl"; exit 1; }
  timed "$out/r1-$t-t$1-r$2" "$r1" bench --model "$m" -p "$P" -n "$N" -t "$1" -r "$reps" --json \
    --load "${R1_LOAD:-copy}"
}
"$r1" info --model "$model" --json > "$out/r1-info.json" 2>/dev/null || true
{ echo "r1: $("$r1" --version 2>/dev/null | head -1), binary $(date -u -r "$r1" +%FT%TZ), repo HEAD" \
    "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n "$(git -C "$repo" status --porcelain -uno 2>/dev/null)" ]] && echo ' (tracked files modified)')"; } \
  > "$out/r1-version.txt"
for ((round = 1; round <= rounds; round++)); do
  for T in $threads; do
    for t in $types; do
      if [[ "$t" == bf16 ]]; then
        if (( round % 2 == 1 )); then
          log "round $round, $T thread(s): r1 bf16";        run_r1 "$T" "$round"
          log "round $round, $T thread(s): llama.cpp bf16"; run_llama bf16 "$T" "$round"
        else
          log "round $round, $T thread(s): llama.cpp bf16"; run_llama bf16 "$T" "$round"
          log "round $round, $T thread(s): r1 bf16";        run_r1 "$T" "$round"
        fi
      else
        log "round $round, $T thread(s): llama.cpp $t";     run_llama "$t" "$T" "$round"
        if [[ -n "$(r1_quant "$t")" ]]; then
          log "round $round, $T thread(s): r1 $(r1_quant "$t") (r1 quantize folder)"; run_r1 "$T" "$round" "$t"
        fi
      fi
    done
  done
done

# 5. the table
"$py" "$here/report.py" "$out" "$model" | tee "$out/table.md"
log "raw results in $out"
