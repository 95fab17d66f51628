# The practical drifting loss training a one-step MLP generator on each toy,
# beside the particle simulation (Laplacian kernel, constant sigma) at equal
# steps: generated points, particles, and both energy distances per step.
# usage: gnuplot -c toytrain.gp RUN_ROOT OUT.png "toy1 toy2 ..."
if (ARGC < 3) { print 'usage: gnuplot -c toytrain.gp RUN_ROOT OUT.png "toys"'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
toys = ARG3
nr = words(toys)
set terminal pngcairo size 1200, 330 * nr + 60 font 'DejaVu Sans,10'
set output ARG2
set multiplot layout nr, 3 title 'one-step MLP generator (practical loss) against the particle simulation, equal steps' \
    margins 0.05, 0.98, 0.04, 0.93 spacing 0.06, 0.06
do for [r = 1:nr] {
  toy = word(toys, r)
  gen = ARG1.'/toytrain-'.toy
  sim = ARG1.'/'.toy.'-laplacian-constant'
  set size ratio -1; unset logscale; set xrange [-3:3]; set yrange [-3:3]; unset key
  set title toy.': generator samples'
  plot gen.'/target.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#c8c8c8', \
       gen.'/final.dat' using 1:2 with points pt 7 ps 0.3 lc rgb C[3]
  set title toy.': particles (Laplacian, constant sigma)'
  plot sim.'/target.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#c8c8c8', \
       sim.'/final.dat' using 1:2 with points pt 7 ps 0.3 lc rgb C[2]
  set size noratio; set autoscale; set logscale y; set key top right
  set title toy.': energy distance against step'
  plot gen.'/diagnostics.dat' using 1:2 with lines lw 2 lc rgb C[3] title 'generator', \
       sim.'/diagnostics.dat' using 1:7 with lines lw 2 lc rgb C[2] title 'particles'
}
unset multiplot
