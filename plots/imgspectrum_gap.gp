# The gap per frequency shell against training step, |ln P(k)/P_ref(k)| of the generated images
# at every evaluation of one or two `driftlab train` runs (their imgspectrum.dat), side by side.
# usage: gnuplot -c imgspectrum_gap.gp OUT.png RUN_A/imgspectrum.dat [RUN_B/imgspectrum.dat] ["title A|title B"] ["1 4 8 14"]
if (ARGC < 2) { print 'usage: gnuplot -c imgspectrum_gap.gp OUT.png A/imgspectrum.dat [B/imgspectrum.dat] ["A|B"] ["shells"]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
n = ARGC >= 3 && strlen(ARG3) > 0 ? 2 : 1
titles = ARGC >= 4 ? ARG4 : 'A|B'
shells = ARGC >= 5 ? ARG5 : '1 2 4 6 8 10 12 14'
title_of(i) = system('echo "'.titles.'" | cut -d"|" -f'.i)
set output ARG1
set multiplot layout 1,n title 'centred power gap |ln P/P_{ref}| per frequency shell'
set xlabel 'training step, or time t of a particle run'
set ylabel '|ln P(k) / P_{ref}(k)|'
set logscale y
set key top right
do for [i=1:n] {
  f = i == 1 ? ARG2 : ARG3
  set title title_of(i)
  plot for [j=1:words(shells)] sprintf('< awk ''!/^#/ && $3 == -1 && $2 == %s'' "%s"', word(shells, j), f) \
       using 1:(abs($7)) with linespoints pt point(j) lc rgb colour(j) title sprintf('k = %s', word(shells, j))
}
unset multiplot
