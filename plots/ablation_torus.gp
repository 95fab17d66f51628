# The stop-gradient ablation on the 1-D torus: energy distance and rms |V|
# over time, and the final particle density (histogram), with and without
# stop-gradient.
# usage: gnuplot -c ablation_torus.gp RUN_ROOT OUT.png
if (ARGC < 2) { print 'usage: gnuplot -c ablation_torus.gp RUN_ROOT OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set terminal pngcairo size 1400,550
set output ARG2
set multiplot layout 1,2 title '1-D torus, modes 1..3 seeded: frozen field (stop-gradient) against descending |V|^2 through V'
a = ARG1.'/ablation-torus-sg-true'
b = ARG1.'/ablation-torus-sg-false'
set logscale y
set xlabel 't'
set title 'energy distance (solid) and rms |V| (dashed)'
plot a.'/diagnostics.dat' using 2:7 with lines lw 2 lc rgb C[1] title 'ED, stop-gradient', \
     b.'/diagnostics.dat' using 2:7 with lines lw 2 lc rgb C[2] title 'ED, no stop-gradient', \
     a.'/diagnostics.dat' using 2:4 with lines dt 2 lc rgb C[1] title 'rms V, stop-gradient', \
     b.'/diagnostics.dat' using 2:4 with lines dt 2 lc rgb C[2] title 'rms V, no stop-gradient'
unset logscale
set title 'final density (histogram, 16 bins; the target is uniform, 1/2{/Symbol p})'
set xlabel 'x'; set xrange [0:2*pi]
bw = 2 * pi / 16
bin(x) = bw * (floor(x / bw) + 0.5)
stats a.'/final.dat' using 1 nooutput
na = STATS_records
plot a.'/final.dat' using (bin($1)):(1.0 / (na * bw)) smooth frequency with steps lw 2 lc rgb C[1] title 'stop-gradient', \
     b.'/final.dat' using (bin($1)):(1.0 / (na * bw)) smooth frequency with steps lw 2 lc rgb C[2] title 'no stop-gradient', \
     1 / (2 * pi) with lines dt 3 lc rgb '#555555' title 'target'
unset multiplot
