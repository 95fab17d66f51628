# Final particles over the target samples of a 2-D run, beside the energy distance.
# usage: gnuplot -c particles2d.gp RUN_DIR OUT.png
if (ARGC < 2) { print 'usage: gnuplot -c particles2d.gp RUN_DIR OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set terminal pngcairo size 1400,650
set output ARG2
set multiplot layout 1,2
set title 'target samples (grey) and final particles (blue)'
set size ratio -1
set xlabel 'x_1'; set ylabel 'x_2'
plot ARG1.'/target.dat' using 1:2 with points pt 7 ps 0.3 lc rgb '#bbbbbb' title 'target', \
     ARG1.'/final.dat' using 1:2 with points pt 7 ps 0.3 lc rgb C[1] title 'particles'
set size noratio
set title 'energy distance to the target'
unset key
set xlabel 't'; set ylabel 'energy distance'
set logscale y
plot ARG1.'/diagnostics.dat' using 2:7 with linespoints pt 7 ps 0.5 lc rgb C[2] notitle
unset multiplot
