# Radial power spectra of image sets against their reference (driftlab spectrum --images, or a
# training run's last evaluation): the centred power P(k) per shell, and ln(P/P_ref).
# usage: gnuplot -c imgspectrum.gp OUT.png "A/imgspectrum.dat B/imgspectrum.dat ..." ["title1|title2|..."]
# imgspectrum.dat: step shell class count P P_ref ln_ratio P_mean P_mean_ref ln_ratio_mean lambda_ref gamma
# Each file's last step, class -1 (every image), is drawn.
if (ARGC < 2) { print 'usage: gnuplot -c imgspectrum.gp OUT.png "A/imgspectrum.dat ..." ["titles|..."]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
files = ARG2
titles = ARGC >= 3 ? ARG3 : ''
title_of(i) = strlen(titles) > 0 ? system('echo "'.titles.'" | cut -d"|" -f'.i) : word(files, i)
last_step(f) = '< awk ''!/^#/ && $3 == -1 {last = $1; row[$1] = row[$1] $0 "\n"} END {printf "%s", row[last]}'' "'.f.'"'
set output ARG1
set multiplot layout 1,2 title 'power per radial frequency shell: generated (solid) against real (dashed)'
set xlabel 'shell |k| (cycles per image)'
set ylabel 'centred power P(k)'
set logscale y
set key top right
plot for [i=1:words(files)] last_step(word(files, i)) using 2:5 with linespoints pt point(i) lc rgb colour(i) \
         title title_of(i), \
     last_step(word(files, 1)) using 2:6 with lines dt 2 lw 2 lc rgb '#000000' title 'reference'
unset logscale y
set ylabel 'ln P / P_{ref}'
plot 0 with lines lc rgb '#888888' notitle, \
     for [i=1:words(files)] last_step(word(files, i)) using 2:7 with linespoints pt point(i) \
         lc rgb colour(i) title title_of(i)
unset multiplot
