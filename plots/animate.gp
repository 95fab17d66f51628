# An animated GIF of one 2-D run from its text frames (driftlab sim --frames).
# usage: gnuplot -c animate.gp RUN_DIR OUT.gif
if (ARGC < 2) { print 'usage: gnuplot -c animate.gp RUN_DIR OUT.gif'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set terminal gif animate delay 8 size 600,600 font 'DejaVu Sans,11'
set output ARG2
frames = system('ls '.ARG1.'/frames/frame-*.dat')
set size ratio -1
set xrange [-3:3]; set yrange [-3:3]
unset key
do for [f in frames] {
  t = system("sed -n 's/^# t = //p' ".f." | head -1")
  set title sprintf('t = %s', t)
  plot ARG1.'/target.dat' using 1:2 with points pt 7 ps 0.4 lc rgb '#c8c8c8', \
       f using 1:2 with points pt 7 ps 0.6 lc rgb C[1]
}
