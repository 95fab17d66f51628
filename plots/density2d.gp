# Figure 5: the density of a 2-D torus run at its first, middle and last snapshot,
# constant bandwidth (top) against annealed (bottom).
# usage: gnuplot -c density2d.gp CONST_RUN_DIR ANNEAL_RUN_DIR OUT.png
# Each run directory holds density-<step>.mat from `driftlab spectrum`.
if (ARGC < 3) { print 'usage: gnuplot -c density2d.gp CONST_RUN ANNEAL_RUN OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set terminal pngcairo size 1500,1000
set output ARG3
cfiles = system('ls "'.ARG1.'"/density-*.mat')
afiles = system('ls "'.ARG2.'"/density-*.mat')
if (words(cfiles) < 3 || words(afiles) < 3) { print 'density2d.gp: need three density-*.mat per run'; exit 1 }
set multiplot layout 2,3 title 'density / mean on the 2-D torus: constant (top) against annealed (bottom) bandwidth'
unset key
unset grid
set size ratio -1
set cbrange [0.4:1.6]
set palette defined (0 '#2166ac', 0.5 '#f7f7f7', 1 '#b2182b')
set autoscale xfix
set autoscale yfix
set xlabel 'cell x_1'
set ylabel 'cell x_2'
do for [row=1:2] {
  files = row == 1 ? cfiles : afiles
  do for [i=1:3] {
    f = word(files, i)
    set title (row == 1 ? 'constant: ' : 'annealed: ').system('grep -m1 "^# t = " "'.f.'" | cut -d";" -f1 | cut -c3-')
    plot f matrix with image
  }
}
unset multiplot
