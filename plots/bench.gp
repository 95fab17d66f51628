# Time per drift evaluation against N = M, log-log, one curve per engine and
# dimension (driftlab bench writes one gnuplot index per series).
# usage: gnuplot -c bench.gp BENCH.dat OUT.png
if (ARGC < 2) { print 'usage: gnuplot -c bench.gp bench.dat out.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set output ARG2
# one title per index: the first data row's engine and dimension
titles = system("awk '/^#/ || NF == 0 {if (NF == 0) seen = 0; next} !seen {printf \"%s,d=%s \", $1, $2; seen = 1}' ".ARG1)
set logscale xy
set format x '10^{%T}'
set format y '10^{%T}'
set xlabel 'N = M (particles = target samples)'
set ylabel 'seconds per evaluation of V = V^+ - V^-'
set title 'driftlab drift engines, median of repetitions (direct sums: time ∝ N^2, particle mesh: ∝ N)'
set key outside right
plot for [i=1:words(titles)] ARG1 index (i - 1) using 3:4 with linespoints pt 7 ps 1.2 \
     lc rgb C[((i - 1) % 8) + 1] title word(titles, i)
