# The stop-gradient ablation on 2-D toys: final particles with the frozen field
# (stop-gradient) and descending |V|^2 through V (no stop-gradient), and the
# energy distance and rms |V| over time.
# usage: gnuplot -c ablation2d.gp RUN_ROOT OUT.png
if (ARGC < 2) { print 'usage: gnuplot -c ablation2d.gp RUN_ROOT OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set terminal pngcairo size 1600,800
set output ARG2
set multiplot layout 2,3 title 'stop-gradient (frozen field, the JKO step) against descending |V|^2 through V'
toys = '8gaussians moons'
do for [r = 1:2] {
  toy = word(toys, r)
  set size ratio -1; unset logscale; set xrange [-3:3]; set yrange [-3:3]; unset key
  do for [sg in 'true false'] {
    run = ARG1.'/ablation-'.toy.'-sg-'.sg
    set title sprintf('%s, stop-gradient %s', toy, sg)
    plot run.'/target.dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#c8c8c8' notitle, \
         run.'/final.dat' using 1:2 with points pt 7 ps 0.35 lc rgb (sg eq 'true' ? C[1] : C[2]) notitle
  }
  set size noratio; set autoscale; set logscale y; set key top right
  set title sprintf('%s: energy distance (solid), rms |V| (dashed)', toy)
  set xlabel 't'
  plot ARG1.'/ablation-'.toy.'-sg-true/diagnostics.dat' using 2:7 with lines lw 2 lc rgb C[1] title 'ED, stop-gradient', \
       ARG1.'/ablation-'.toy.'-sg-false/diagnostics.dat' using 2:7 with lines lw 2 lc rgb C[2] title 'ED, no stop-gradient', \
       ARG1.'/ablation-'.toy.'-sg-true/diagnostics.dat' using 2:4 with lines dt 2 lc rgb C[1] title 'rms V, stop-gradient', \
       ARG1.'/ablation-'.toy.'-sg-false/diagnostics.dat' using 2:4 with lines dt 2 lc rgb C[2] title 'rms V, no stop-gradient'
  unset xlabel
}
unset multiplot
