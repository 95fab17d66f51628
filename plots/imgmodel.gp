# docs/THEORY.md 7's exact image-shell model against idxgauss flows (papers/images-drifting part 0).
# usage: gnuplot -c imgmodel.gp measured|floor OUT.png "RUN_DIR RUN_DIR ..."
#   measured: each shell's measured ln(gap(T)/gap(0)) against the model's (imgrates.dat columns 10, 11),
#             with the line of equality, the 5% band, and the model's finite-N bound as an error bar
#             (column 13; none drawn where the bound is infinite, as on an annealed run)
#   floor:    the shells' variance lambda_k beside the self-masked flow's variance floor sigma^2 / N
if (ARGC < 3) { print 'usage: gnuplot -c imgmodel.gp measured|floor OUT.png "RUN ..."'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set output ARG2
runs = ARG3
name(r) = system(sprintf("basename '%s'", r))
sigma0(r) = real(system(sprintf("awk '/sigma0/ {print $NF}' '%s/imgrates.dat'", r)))
count(r) = real(system(sprintf("awk -F' = ' '$1 == \"n\" {print $2}' '%s/run.ini'", r)))
if (ARG1 eq 'measured') {
  set title "Per-shell ln(gap(T)/gap(0)): measured against docs/THEORY.md 7's exact model (band: 5%; bars: the model's finite-N bound)"
  set xlabel 'model'; set ylabel 'measured'; set key bottom right font ',9'
  bar(b) = (b == b && b < 1e6) ? b : 0
  plot x w l lc rgb 'black' notitle, 1.05 * x w l dt 2 lc rgb 'gray' notitle, 0.95 * x w l dt 2 lc rgb 'gray' notitle, \
       for [i=1:words(runs)] word(runs, i).'/imgrates.dat' u 11:10:(bar($13)) w yerrorbars pt point(i) lc rgb colour(i) \
           t name(word(runs, i))
}
if (ARG1 eq 'floor') {
  set title "The shells' variance {/Symbol l}_k beside the self-masked floor {/Symbol s}^2/N of each flow"
  set logscale y; set xlabel 'shell k'; set ylabel 'variance per coefficient'; set key top right font ',9'
  first = word(runs, 1)
  plot first.'/imgrates.dat' u 1:2 w lp lw 2 pt 7 lc rgb 'black' t '{/Symbol l}_k (target)', \
       for [i=1:words(runs)] sigma0(word(runs, i))**2 / count(word(runs, i)) w l dt 2 lc rgb colour(i) \
           t sprintf('%s: {/Symbol s}^2/N = %.3g', name(word(runs, i)), sigma0(word(runs, i))**2 / count(word(runs, i)))
}
