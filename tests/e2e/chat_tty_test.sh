#!/usr/bin/env bash
# Drives `r1 chat` through a real pseudo-terminal (tmux): a turn streams an answer, /system and /reset are
# acknowledged, Ctrl-C during an answer stops it but not the program, /exit quits with status 0.
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
check() {  # check NAME PATTERN: waits up to 10 s for PATTERN on the screen
  local name="$1" pat="$2"
  for _ in $(seq 100); do
    if tm capture-pane -p -t "$session" -S -200 | grep -q -- "$pat"; then pass=$((pass + 1)); return 0; fi
    sleep 0.1
  done
  echo "FAIL: $name: '$pat' not on screen:"; tm capture-pane -p -t "$session" -S -200
  fail=$((fail + 1))
  return 1
}
count() { tm capture-pane -p -t "$session" -S -200 | grep -c -- "$1" || true; }

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
echo "chat_tty_test: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
