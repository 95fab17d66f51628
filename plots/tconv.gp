# Figure 4: convergence time T_eps(K) (every mode k <= K damped by eps) against K:
# constant Gaussian (exp(O(K^2))), constant Laplacian (polynomial), annealed Gaussian (O(log K)).
# usage: gnuplot -c tconv.gp GAUSS_TCONV.dat LAPLACE_TCONV.dat ANNEAL_TCONV.dat OUT.png
# tconv.dat (driftlab spectrum): K T_measured T_theory T_k_measured T_k_theory
if (ARGC < 4) { print 'usage: gnuplot -c tconv.gp GAUSS LAPLACE ANNEAL OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
set output ARG4
set title 'Time for every mode k <= K to shrink by e^{-1} (points: particles, lines: theory)'
set xlabel 'K'
set ylabel 'T_{/Symbol e}(K)'
set logscale y
set format y '10^{%T}'
set yrange [0.5:1e7]
set xrange [0.5:16.5]
set key top left
plot ARG1 using 1:3 with lines lc rgb C[1] title 'constant Gaussian, theory', \
     ARG1 using 1:2 with points pt 7 ps 1.3 lc rgb C[1] title 'constant Gaussian, measured', \
     ARG2 using 1:3 with lines lc rgb C[2] title 'constant Laplacian, theory', \
     ARG2 using 1:2 with points pt 5 ps 1.3 lc rgb C[2] title 'constant Laplacian, measured', \
     ARG3 using 1:3 with lines lc rgb C[3] title 'annealed Gaussian, theory', \
     ARG3 using 1:2 with points pt 9 ps 1.3 lc rgb C[3] title 'annealed Gaussian, measured'
