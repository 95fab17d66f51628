# ln(a_k(t) / a_k(0)) against t, constant bandwidth beside annealed, theory dashed.
# usage: gnuplot -c modes.gp CONST_MODES.dat SIGMA ANNEAL_MODES.dat SIGMA0 RATE OUT.png [KMAX]
# Both runs are 1-D torus runs with the Gaussian kernel (modes.dat columns t sigma k re im amp).
if (ARGC < 6) { print 'usage: gnuplot -c modes.gp CONST_MODES SIGMA ANNEAL_MODES SIGMA0 RATE OUT.png [KMAX]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
const = ARG1; sigma = real(ARG2); anneal = ARG3; s0 = real(ARG4); rate = real(ARG5)
kmax = ARGC >= 7 ? int(ARG7) : 6
set output ARG6
set multiplot layout 1,2 title 'Mode decay: ln a_k(t)/a_k(0) (points: particles, dashed: linear theory)'
set xlabel 't'
set ylabel 'ln a_k(t) / a_k(0)'
set key bottom left
array A0[kmax]
do for [k=1:kmax] {
  stats const using (($3 == k && $1 == 0) ? $6 : 1/0) nooutput
  A0[k] = STATS_max
}
set title sprintf('constant {/Symbol s} = %g', sigma)
set yrange [-8:0.5]
plot for [k=1:kmax] const using 1:(($3 == k) ? log($6 / A0[k]) : 1/0) with points pt 7 ps 0.6 lc rgb C[k] title sprintf('k=%d', k), \
     for [k=1:kmax] -gamma_gaussian(sigma * k) * x with lines dt 2 lc rgb C[k] notitle
do for [k=1:kmax] {
  stats anneal using (($3 == k && $1 == 0) ? $6 : 1/0) nooutput
  A0[k] = STATS_max
}
set title sprintf('annealed {/Symbol s}(t) = %g e^{-%g t}', s0, rate)
plot for [k=1:kmax] anneal using 1:(($3 == k) ? log($6 / A0[k]) : 1/0) with points pt 7 ps 0.6 lc rgb C[k] title sprintf('k=%d', k), \
     for [k=1:kmax] anneal_gaussian(x, k, s0, rate) with lines dt 2 lc rgb C[k] notitle
unset multiplot
