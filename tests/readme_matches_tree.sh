#!/usr/bin/env bash
# The README's statements about the tree, checked against the tree (issue 15: "the README's
# statements about the test executables and docs match the tree"):
# - "Building and testing" has a row for every ctest test of the build and says how many
#   there are, in words;
# - "Layout" names every top-level folder, every folder of include/imgstore/ and src/, and
#   every doc/*.md.
# Usage: readme_matches_tree.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
readme="$src/README.md"
failures=0
fail() {
    echo "README.md: $*" >&2
    failures=$((failures + 1))
}
section() { # the lines from the one matching $1 to the next one matching $2
    awk -v from="$1" -v to="$2" '$0 ~ from {on = 1} on && $0 ~ to && $0 !~ from {exit} on' "$readme"
}

mapfile -t tests < <(ctest --test-dir "$build" -N | sed -n 's/^ *Test *#[0-9]*: //p')
((${#tests[@]} > 0)) || fail "ctest -N in $build lists no test"
table=$(section '^ctest runs ' '^To run single cases')
for t in "${tests[@]}"; do
    grep -q "^|.*\`$t\`.*|" <<<"$table" || fail "the test table has no row for '$t'"
done
words=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three
    twenty-four twenty-five)
count=${#tests[@]}
if ((count < ${#words[@]})); then
    grep -q "^ctest runs ${words[$count]} tests" <<<"$table" ||
        fail "says '$(head -1 <<<"$table")' but ctest lists $count tests"
fi

layout=$(section '^## Layout' '^## ')
names=()
for d in "$src"/*/; do
    d=$(basename "$d")
    [[ $d == build* ]] && continue
    names+=("$d/")
done
for d in "$src"/include/imgstore/*/ "$src"/src/*/; do names+=("${d#"$src"/}"); done
for f in "$src"/doc/*.md; do names+=("$(basename "$f")"); done
for n in "${names[@]}"; do
    n=${n%/}
    grep -qF "$n" <<<"$layout" || fail "Layout does not name '$n'"
done

if ((failures > 0)); then
    echo "$failures statement(s) of README.md do not match the tree" >&2
    exit 1
fi
echo "README.md matches the tree: ${#tests[@]} tests, ${#names[@]} folders and docs"
