# Figure 2: |delta_hat(k, t)| against t for several k, constant bandwidth beside annealed,
# linear theory dashed.
# usage: gnuplot -c decay.gp CONST_SPECTRUM.dat ANNEAL_SPECTRUM.dat OUT.png ["1 4 8 10 16"] [LEFT_TITLE] [RIGHT_TITLE]
# spectrum.dat (driftlab spectrum): t sigma k amp amp_theory ...
if (ARGC < 3) { print 'usage: gnuplot -c decay.gp CONST_SPECTRUM ANNEAL_SPECTRUM OUT.png [KS] [TITLES]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
ks = ARGC >= 4 ? ARG4 : '1 4 8 10 16'
left = ARGC >= 5 ? ARG5 : 'constant bandwidth'
right = ARGC >= 6 ? ARG6 : 'annealed bandwidth'
set terminal pngcairo size 1500,700
set output ARG3
set multiplot layout 1,2 title '|{/Symbol d}_k(t)| per mode (points: particles, dashed: linear theory)'
set xlabel 't'
set ylabel '|q_k - p_k|'
set logscale y
set format y '10^{%T}'
set yrange [1e-7:1e-2]
set key bottom left
pick(kk) = abs(column(3) - kk) < 1e-6 * kk ? column(4) : 1/0
pickt(kk) = abs(column(3) - kk) < 1e-6 * kk ? column(5) : 1/0
do for [side=1:2] {
  f = side == 1 ? ARG1 : ARG2
  set title side == 1 ? left : right
  plot for [i=1:words(ks)] f using 1:(pick(real(word(ks, i)))) with points pt 7 ps 0.5 lc rgb C[i] title 'k = '.word(ks, i), \
       for [i=1:words(ks)] f using 1:(pickt(real(word(ks, i)))) with lines dt 2 lc rgb C[i] notitle
}
unset multiplot
