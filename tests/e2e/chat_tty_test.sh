#!/usr/bin/env bash
# Drives `r1 chat` through a real pseudo-terminal (tmux): a turn streams an answer, /system and /reset are
# acknowledged, Ctrl-C during an answer stops it but not the program, /exit quits with status 0. Then the same
# with MTP speculative decoding on the embedded reasoning model: greedy answers equal r1 generate's over two turns.
# Usage: tests/e2e/chat_tty_test.sh path/to/r1 scratch-dir
set -euo pipefail
r1="$1"
dir="$2"
mkdir -p "$dir"
model="$dir/model"
# small-v3 (a few hundred MB) decodes slowly enough that an answer is still running when Ctrl-C arrives.
[[ -f $model/config.json ]] || "$r1" init --config small-v3 --out "$model" --seed 3 >/dev/null
sock="$dir/tmux.sock"
session="r1chat$$"
tm() { tmux -S "$sock" "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; }
trap cleanup EXIT
pass=0
fail=0
# capture-pane -J joins wrapped lines: a marker printed across the pane's right edge ("[stoppe" / "d]") must
# still match.
check() {  # check NAME PATTERN: waits up to 10 s for PATTERN on the screen
  local name="$1" pat="$2"
  for _ in $(seq 100); do
    if tm capture-pane -p -J -t "$session" -S -200 | grep -q -- "$pat"; then pass=$((pass + 1)); return 0; fi
    sleep 0.1
  done
  echo "FAIL: $name: '$pat' not on screen:"; tm capture-pane -p -J -t "$session" -S -200
  fail=$((fail + 1))
  return 1
}
count() { tm capture-pane -p -J -t "$session" -S -200 | grep -c -- "$1" || true; }

tm new-session -d -s "$session" -x 160 -y 50 "$r1 chat --model $model --ctx 4096 --max-tokens 4000 -t 1; echo EXIT=\$?; sleep 30"
check "banner" "r1 chat:"
check "prompt" "you>"
tm send-keys -t "$session" "hello there" Enter
check "answer starts" "r1>"
sleep 2  # let the answer stream for a while, then interrupt it
tm send-keys -t "$session" C-c
check "Ctrl-C stops the answer" "\[stopped\]"
tm send-keys -t "$session" C-c  # Ctrl-C at the prompt does not end the program
sleep 0.3
tm send-keys -t "$session" "/system be brief" Enter
check "/system (program still alive after Ctrl-C)" "system prompt set"
tm send-keys -t "$session" "/reset" Enter
check "/reset" "history cleared"
tm send-keys -t "$session" "/exit" Enter
check "/exit status 0" "EXIT=0"
tm kill-session -t "$session" 2>/dev/null || true

# --spec mtp: the first answer equals plain greedy generation of the same chat prompt; a second turn (reusing
# the cache of the first) answers too.
arith="$(dirname "$0")/../../models/r1-zero-arith"
want=$("$r1" generate --model "$arith" --chat --prompt "34+58" -n 40 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["content"])')
tm new-session -d -s "$session" -x 160 -y 50 "$r1 chat --model $arith --temperature 0 --spec mtp -t 1; echo EXIT=\$?; sleep 30"
check "spec: banner" "r1 chat:"
tm send-keys -t "$session" "34+58" Enter
check "spec: first answer equals r1 generate's ($want)" "$want"
tm send-keys -t "$session" "71-26" Enter
for _ in $(seq 100); do [[ $(count "<answer>") -ge 2 ]] && break; sleep 0.1; done
if [[ $(count "<answer>") -ge 2 ]]; then pass=$((pass + 1)); else echo "FAIL: spec: no second answer"; fail=$((fail + 1)); fi
tm send-keys -t "$session" "/exit" Enter
check "spec: /exit status 0" "EXIT=0"
echo "chat_tty_test: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
