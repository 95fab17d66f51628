# Precision against recall at the last evaluation of one or more `driftlab train` runs, with each
# run's FD-FMNIST beside its point: where a setting sits in the fidelity/coverage trade-off.
# usage: gnuplot -c precision_recall.gp OUT.png "RUN1/train.dat RUN2/train.dat ..." ["title1|title2|..."]
#        [FLOOR_PRECISION FLOOR_RECALL]
# train.dat: step seconds images_per_s drift_rms fd_fmnist kid precision recall label_accuracy
# The floor (real training images against the test split, from `driftlab eval`) is only
# comparable at the same number of evaluation images (--eval-n).
if (ARGC < 2) { print 'usage: gnuplot -c precision_recall.gp OUT.png "A/train.dat B/train.dat" ["titles|..."] [FLOOR_P FLOOR_R]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
files = ARG2
titles = ARGC >= 3 ? ARG3 : ''
title_of(i) = strlen(titles) > 0 ? system('echo "'.titles.'" | cut -d"|" -f'.i) : word(files, i)
last_row(f) = '< grep -v "^#" "'.f.'" | tail -n 1'
set terminal pngcairo size 1100,850
set output ARG1
set title 'generator training: precision against recall at the last evaluation (FD-FMNIST beside each point)'
set xlabel 'recall (k = 3): how much of the real data the samples cover'
set ylabel 'precision (k = 3): how much of the samples lie on the real data'
set key bottom left
set offsets graph 0.08, graph 0.15, graph 0.08, graph 0.08
if (ARGC >= 5) { set label 1 'real-data floor' at real(ARG5), real(ARG4) point pt 3 ps 2 offset 1,0 }
plot for [i=1:words(files)] last_row(word(files, i)) using 8:7 with points pt point(i) ps 2 \
         lc rgb colour(i) title title_of(i), \
     for [i=1:words(files)] last_row(word(files, i)) using 8:7:(sprintf('%.2f', $5)) with labels \
         left offset 1.2,0 tc rgb colour(i) notitle
