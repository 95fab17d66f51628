# FD-FMNIST and KID against training time for one or more `driftlab train` runs.
# usage: gnuplot -c train_curves.gp OUT.png "RUN1/train.dat RUN2/train.dat ..." ["title1|title2|..."] [FLOOR_FD]
# train.dat: step seconds images_per_s drift_rms fd_fmnist kid precision recall label_accuracy
if (ARGC < 2) { print 'usage: gnuplot -c train_curves.gp OUT.png "A/train.dat B/train.dat" ["titles|..."] [FLOOR_FD]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
files = ARG2
titles = ARGC >= 3 ? ARG3 : ''
floor = ARGC >= 4 ? real(ARG4) : -1
title_of(i) = strlen(titles) > 0 ? system('echo "'.titles.'" | cut -d"|" -f'.i) : word(files, i)
set terminal pngcairo size 1500,650
set output ARG1
set multiplot layout 1,2 title 'generator training: evaluation against training time (EMA weights)'
set xlabel 'training time [min]'
set logscale y
set key top right
set ylabel 'FD-FMNIST'
set title 'Frechet distance in the classifier features'
plot for [i=1:words(files)] word(files, i) using ($2 / 60):5 with linespoints pt point(i) ps 0.6 lc rgb colour(i) title title_of(i), \
     (floor > 0 ? floor : 1/0) with lines dt 2 lc rgb 'black' title 'real-data floor', \
     (floor > 0 ? 3 * floor : 1/0) with lines dt 3 lc rgb 'grey' title '3 x floor'
set ylabel 'KID'
set title 'kernel distance (cubic polynomial kernel)'
plot for [i=1:words(files)] word(files, i) using ($2 / 60):($6 > 0 ? $6 : 1/0) with linespoints pt point(i) ps 0.6 lc rgb colour(i) title title_of(i)
unset multiplot
