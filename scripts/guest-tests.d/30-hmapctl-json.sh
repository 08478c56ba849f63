#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hmapctl's JSON, without a JSON parser (busybox): keys and values that
# need escapes come out escaped, errors under -j are one JSON object on
# stderr (a bad option named by its letter, not its cluster), and
# `hmapctl stats`, `hmapctl -j stats` and debugfs show every counter under
# the same name with the same value (all three are made from
# <linux/hmap_stats.h>).
set -u
m=hmapctl-json
dbg=/sys/kernel/debug/hmap/$m
out=/tmp/hmapctl-json.out
err=/tmp/hmapctl-json.err
bad=0

# check WHAT GOT WANT
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		printf 'not ok: %s\n  got:  %s\n  want: %s\n' "$1" "$2" "$3"
		bad=1
	fi
}

# run ARGS...: hmapctl with stdout in $out, stderr in $err; prints its exit.
run() {
	hmapctl "$@" >"$out" 2>"$err"
	echo $?
}

hmapctl destroy "$m" >/dev/null 2>&1
hmapctl create "$m" key_size 16 value_size 16 max_entries 100 || exit 1

# A key with a quote and a backslash, a value with a backslash and a quote.
hmapctl put "$m" 'q"b\s' 'v\"' || exit 1
check "get -j: escaped strings" "$(hmapctl -j get "$m" 'q"b\s')" \
	'{"key":"q\"b\\s","value":"v\\\""}'
# Bytes outside printable ASCII: an array of numbers.
hmapctl put "$m" hex 00 ff 22 hex 0a || exit 1
check "get -j: bytes" "$(hmapctl -j get "$m" hex 00 ff 22)" \
	'{"key":[0,255,34],"value":[10]}'
run -j dump "$m" >/dev/null
check "dump -j: first line" "$(head -n 1 "$out")" '['
check "dump -j: last line" "$(tail -n 1 "$out")" ']'
check "dump -j: the escaped entry" \
	"$(grep -cxF -e '{"key":"q\"b\\s","value":"v\\\""}' \
		-e '{"key":"q\"b\\s","value":"v\\\""},' "$out")" 1
check "dump -j: lines" "$(grep -c "" "$out")" 4

# Errors under -j: JSON on stderr, nothing on stdout, the usual status.
check "-j get, no such key: exit" "$(run -j get "$m" nokey)" 3
check "-j get, no such key: stderr" "$(cat "$err")" \
	'{"command":"get","error":"No such key","errno":2}'
check "-j get, no such key: stdout" "$(cat "$out")" ''
check "-j stats, no such map" "$(run -j stats no-such-map; cat "$err")" \
	'3
{"command":"stats","error":"no-such-map: No such map","errno":2}'
check "-j, a name with a tab and a quote: exit" \
	"$(run -j get "$(printf 'a\tb"c')" k)" 2
check "-j, a name with a tab and a quote: escaped" \
	"$(grep -c "^{\"command\":\"get\",\"error\":\"bad map name 'a\\\\tb\\\\\"c' (" "$err")" 1
# Bytes above 0x7f in a message that quotes an argument: UTF-8 as the
# characters it encodes, a byte that is not UTF-8 as U+FFFD, never a byte
# as the code point U+00XX.
name_in_err() {
	run -j get "$1" k >/dev/null
	grep -o "bad map name '[^']*'" "$err"
}
check "-j, a UTF-8 name: its characters" \
	"$(name_in_err "$(printf 'caf\303\251 \360\237\230\200')")" \
	"bad map name 'caf\\u00e9 \\ud83d\\ude00'"
check "-j, bytes that are not UTF-8: U+FFFD" \
	"$(name_in_err "$(printf 'a\377\300\201b')")" \
	"bad map name 'a\\ufffd\\ufffd\\ufffdb'"
# A value in UTF-8 is bytes all the same: an array, never a string.
hmapctl put "$m" utf8 "$(printf 'caf\303\251')" || exit 1
check "get -j: a UTF-8 value" "$(hmapctl -j get "$m" utf8)" \
	'{"key":"utf8","value":[99,97,102,195,169]}'
check "-j, unknown command" "$(run -j 'no"such'; cat "$err")" \
	'2
{"error":"unknown command '"'"'no\"such'"'"'","usage":"hmapctl [-j|--json] [-h|--help] COMMAND [ARGS]"}'

# A bad option is named as getopt_long() saw it: the one letter of a
# cluster (not the cluster, nor the word before it), a long option whole.
usage='"usage":"hmapctl [-j|--json] [-h|--help] COMMAND [ARGS]"}'
check "-jx: the bad letter" "$(run -jx version; cat "$err")" \
	"2
{\"error\":\"unknown option '-x'\",$usage"
check "-xj: the bad letter" "$(run -xj version; cat "$err")" \
	"2
{\"error\":\"unknown option '-x'\",$usage"
check "-hq, text: the bad letter" "$(run -hq version; head -n 1 "$err")" \
	"2
hmapctl: unknown option '-q'"
check "--bogus" "$(run -j --bogus version; cat "$err")" \
	"2
{\"error\":\"unknown option '--bogus'\",$usage"
check "--json=1" "$(run --json=1 version; head -n 1 "$err")" \
	"2
hmapctl: option '--json' takes no value"

# Every field of `stats` is in `stats -j` with the same value, and every
# counter (the fields after noverflow) is a debugfs file and a line of the
# debugfs stats file with that value too.
hmapctl stats "$m" >/tmp/hmapctl-stats.txt
hmapctl -j stats "$m" >/tmp/hmapctl-stats.json
fields=0 counters=0 in_counters=
while IFS=': ' read -r name value _; do
	fields=$((fields + 1))
	if ! grep -qF -e "\"$name\":$value," -e "\"$name\":$value}" \
		/tmp/hmapctl-stats.json; then
		echo "not ok: stats -j lacks \"$name\":$value"
		bad=1
	fi
	[ "$name" = load_factor ] && in_counters=
	if [ -n "$in_counters" ]; then
		counters=$((counters + 1))
		check "debugfs $name" "$(cat "$dbg/$name" 2>&1)" "$value"
		grep -qx "$name: $value" "$dbg/stats" ||
			check "debugfs stats: $name" "$(grep "^$name:" "$dbg/stats")" \
				"$name: $value"
	fi
	[ "$name" = noverflow ] && in_counters=1
done </tmp/hmapctl-stats.txt
check "stats -j: as many fields as stats" \
	"$(tr ',' '\n' </tmp/hmapctl-stats.json | grep -c ':')" "$fields"
[ "$counters" -ge 21 ] || { echo "not ok: only $counters counters"; bad=1; }
echo "stats: $fields fields, $counters counters"

hmapctl destroy "$m" || bad=1
rm -f "$out" "$err" /tmp/hmapctl-stats.txt /tmp/hmapctl-stats.json
exit "$bad"
