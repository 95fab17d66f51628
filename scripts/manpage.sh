#!/usr/bin/env bash
# Writes the driftlab(1) man page from the commands' own help text, so the
# page cannot drift from the options:   scripts/manpage.sh DRIFTLAB OUT.1
set -euo pipefail
dl=${1:?usage: manpage.sh DRIFTLAB OUT.1}
out=${2:?usage: manpage.sh DRIFTLAB OUT.1}
version=$("$dl" version | head -n 1 | awk '{print $2}')
# roff: backslashes doubled, a leading . or ' escaped
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
  echo ".TH DRIFTLAB 1 \"\" \"driftlab $version\" \"User Commands\""
  echo ".SH NAME"
  echo "driftlab \\- simulate, analyse and train generative drifting"
  echo ".SH SYNOPSIS"
  echo ".B driftlab"
  echo ".I command"
  echo "[options]"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$dl" help | esc
  echo ".fi"
  echo ".SH COMMANDS"
  for cmd in $("$dl" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'); do
    case "$cmd" in version|help) continue ;; esac
    echo ".SS $cmd"
    echo ".nf"
    "$dl" "$cmd" --help | esc
    echo ".fi"
  done
  echo ".SH FILES"
  echo "Every output starts with a provenance header: tool version, git hash, full command"
  echo "line, seed and BLAS kernels.  The formats are described in the README and docs/FORMATS.md."
  echo ".SH SEE ALSO"
  echo "gnuplot(1); the gnuplot scripts in share/driftlab/plots."
} > "$tmp"
mv "$tmp" "$out"
trap - EXIT
