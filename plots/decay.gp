# Figure 2: |delta_hat(k, t)| against t for several k, constant bandwidth beside annealed,
# linear theory dashed.
# usage: gnuplot -c decay.gp CONST_SPECTRUM.dat ANNEAL_SPECTRUM.dat OUT.png ["1 4 8 10 16"] [LEFT_TITLE] [RIGHT_TITLE]
# The list names mode numbers n (k = 2 pi n / L).  spectrum.dat (driftlab spectrum, 1-D):
# t sigma k amp amp_theory ..., one row per snapshot and mode n = 1..K, in that order.
if (ARGC < 3) { print 'usage: gnuplot -c decay.gp CONST_SPECTRUM ANNEAL_SPECTRUM OUT.png [KS] [TITLES]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
ks = ARGC >= 4 ? ARG4 : '1 4 8 10 16'
left = ARGC >= 5 ? ARG5 : 'constant bandwidth'
right = ARGC >= 6 ? ARG6 : 'annealed bandwidth'
# modes per snapshot: the rows that share the first time (before any axis range is set)
stats ARG1 using 1 nooutput
t1 = STATS_min
stats ARG1 using ($1 == t1 ? 1 : 0) nooutput
K1 = int(STATS_sum)
stats ARG2 using 1 nooutput
t2 = STATS_min
stats ARG2 using ($1 == t2 ? 1 : 0) nooutput
K2 = int(STATS_sum)
set terminal pngcairo size 1500,700
set output ARG3
set multiplot layout 1,2 title '|{/Symbol d}_k(t)| per mode (points: particles, dashed: linear theory)'
set xlabel 't'
set ylabel '|q_k - p_k|'
set logscale y
set format y '10^{%T}'
set yrange [1e-7:1e-2]
set key bottom left
do for [side=1:2] {
  f = side == 1 ? ARG1 : ARG2
  K = side == 1 ? K1 : K2
  set title side == 1 ? left : right
  plot for [i=1:words(ks)] f every K::(int(word(ks, i)) - 1) using 1:4 with points pt 6 ps 0.7 lc rgb colour(i) title 'k = '.word(ks, i), \
       for [i=1:words(ks)] f every K::(int(word(ks, i)) - 1) using 1:5 with lines dt 2 lw 1.2 lc rgb 'black' title (i == 1 ? 'linear theory' : '')
}
unset multiplot
