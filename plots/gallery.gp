# The toy gallery: rows are toy sets, columns are drift x bandwidth schedule;
# each cell is the final particles (colour) over target samples (grey).
# usage: gnuplot -c gallery.gp RUN_ROOT OUT.png "toy1 toy2 ..."
if (ARGC < 3) { print 'usage: gnuplot -c gallery.gp RUN_ROOT OUT.png "toys"'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
toys = ARG3
cols = 'gaussian-constant gaussian-annealed laplacian-constant laplacian-annealed sinkhorn-constant sinkhorn-annealed'
nr = words(toys); nc = words(cols)
set terminal pngcairo size 300 * nc, 300 * nr + 60 font 'DejaVu Sans,10'
set output ARG2
set multiplot layout nr, nc title 'final particles over the target (grey): rows toy sets, columns drift and bandwidth' \
    margins 0.03, 0.99, 0.02, 0.92 spacing 0.01, 0.05
unset key; unset xtics; unset ytics; unset grid
set size ratio -1
set xrange [-3:3]; set yrange [-3:3]
do for [r = 1:nr] {
  do for [c = 1:nc] {
    run = ARG1.'/'.word(toys, r).'-'.word(cols, c)
    ed = system("awk '!/^#/ {e = $7} END {printf \"%.2g\", e}' ".run.'/diagnostics.dat')
    set title sprintf("%s, %s\nED %s", word(toys, r), word(cols, c), ed) font ',9'
    plot run.'/target.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#c8c8c8', \
         run.'/final.dat' using 1:2 with points pt 7 ps 0.3 lc rgb C[(c - 1) / 2 + 1]
  }
}
unset multiplot
