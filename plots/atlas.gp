# The kernel atlas's figures (papers/kernel-atlas/run.sh): lines are the closed
# forms of docs/THEORY.md (driftlab theory), points the particles (driftlab spectrum).
# usage: gnuplot -c atlas.gp rates|tconv|operators|companions|optimum OUT_DIR "TAGS" OUT.png
#   TAGS: kernel names with ':' written '_' (matern_1.5), as the run folders are named
if (ARGC < 4) { print 'usage: gnuplot -c atlas.gp FIGURE OUT_DIR TAGS OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
fig = ARG1; dir = ARG2; tags = ARG3
set output ARG4
name(s) = (i = strstrt(s, '_'), i ? s[1:i-1].':'.s[i+1:] : s)

if (fig eq 'rates') {
  set title "Mean-shift decay rate against {/Symbol s}k, every kernel (lines: closed form; points: particles, {/Symbol s} = 0.5, N = M = 2000)"
  set logscale xy; set xrange [0.25:50]; set yrange [1e-6:2]
  set xlabel '{/Symbol s} k'; set ylabel '{/Symbol g}_{ms}'
  set key bottom left
  plot for [i=1:words(tags)] dir.'/theory-'.word(tags, i).'/theory-rates.dat' u 3:4 w l lc rgb colour(i) t name(word(tags, i)), \
       for [i=1:words(tags)] dir.'/run-'.word(tags, i).'/rates.dat' u (0.5 * $1):($9 > 0 ? $2 : 1/0) w p pt point(i) ps 1.3 lc rgb colour(i) notitle
}
if (fig eq 'tconv') {
  set title "Time to damp modes 1..K by 0.05: constant {/Symbol s} = 1 (solid) against 2 e^{-t/4} (dashed)"
  set logscale y; set logscale x; set xlabel 'K'; set ylabel 'T_{0.05}(K)'; set key top left
  plot for [i=1:words(tags)] dir.'/const-'.word(tags, i).'/theory-tconv.dat' u 1:($2 < 1e8 ? $2 : 1/0) w l lc rgb colour(i) t name(word(tags, i)), \
       for [i=1:words(tags)] dir.'/anneal-'.word(tags, i).'/theory-tconv.dat' u 1:2 w l dt 2 lc rgb colour(i) notitle
}
if (fig eq 'operators') {
  set title "Mean shift against the MMD flow ({/Symbol s} = 0.5, L = 2{/Symbol p}), and Coulomb's flat rate {/Symbol r}_0"
  set logscale xy; set xrange [0.8:60]; set yrange [1e-4:2]
  set xlabel 'k'; set ylabel '{/Symbol g}(k)'; set key bottom left
  plot dir.'/ms-gaussian/theory-rates.dat' u 2:4 w l lc rgb colour(1) t 'gaussian, mean shift', \
       dir.'/mmd-gaussian/theory-rates.dat' u 2:4 w l dt 2 lc rgb colour(1) t 'gaussian, MMD flow', \
       dir.'/ms-laplacian/theory-rates.dat' u 2:4 w l lc rgb colour(2) t 'laplacian, mean shift', \
       dir.'/mmd-laplacian/theory-rates.dat' u 2:4 w l dt 2 lc rgb colour(2) t 'laplacian, MMD flow', \
       dir.'/mmd-coulomb/theory-rates.dat' u 2:4 w l lw 2 lc rgb colour(3) t 'coulomb, MMD flow', \
       dir.'/run-gaussian/rates.dat' u 1:($9 > 0 ? $2 : 1/0) w p pt 7 lc rgb colour(1) notitle, \
       dir.'/run-mmd-gaussian/rates.dat' u 1:($9 > 0 ? $2 : 1/0) w p pt 6 lc rgb colour(1) notitle, \
       dir.'/run-laplacian/rates.dat' u 1:($9 > 0 ? $2 : 1/0) w p pt 7 lc rgb colour(2) notitle, \
       dir.'/run-mmd-laplacian/rates.dat' u 1:($9 > 0 ? $2 : 1/0) w p pt 6 lc rgb colour(2) notitle, \
       dir.'/run-mmd-coulomb/rates.dat' u 1:($9 > 0 ? $2 : 1/0) w p pt 5 lc rgb colour(3) notitle
}
if (fig eq 'companions') {
  set title "Each kernel k(r) (solid) beside its companion {/Symbol F}(r) / {/Symbol F}(0) (dashed), {/Symbol s} = 1"
  set xlabel 'r / {/Symbol s}'; set ylabel 'k, {/Symbol F} / {/Symbol F}(0)'; set key top right
  plot for [i=1:words(tags)] dir.'/companion-'.word(tags, i).'/companion.dat' u 1:2 w l lc rgb colour(i) t name(word(tags, i)), \
       for [i=1:words(tags)] dir.'/companion-'.word(tags, i).'/companion.dat' u 1:($3 / 1) w l dt 2 lc rgb colour(i) notitle
}
if (fig eq 'optimum') {
  set multiplot layout 1,2 title "Modes 1..6: the optimised exp schedule against the best constant {/Symbol s} (points: particles, lines: theory; dashed: {/Symbol e} = 0.05)"
  set logscale y; set yrange [2e-5:2e-3]; set xlabel 't'; set ylabel '|a_k(t)|'; set key top right
  do for [run in 'run-optimum run-constant'] {
    set title run
    f = dir.'/'.run.'/spectrum.dat'
    mode(k) = sprintf("< awk '$1 !~ /^#/ && $3 == %d' '%s'", k, f)
    plot for [k=1:6] mode(k) u 1:4 w p pt point(k) lc rgb colour(k) t sprintf('k = %d', k), \
         for [k=1:6] mode(k) u 1:5 w l lc rgb colour(k) notitle, \
         0.001 * 0.05 w l dt 2 lc rgb 'black' notitle
  }
  unset multiplot
}
