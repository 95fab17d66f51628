# Figure 1: measured decay rate gamma(k) against sigma k, Gaussian beside Laplacian, log axes:
# the Gaussian's rate collapses like exp(-s^2/2), the Laplacian's only algebraically.
# usage: gnuplot -c rates.gp GAUSSIAN_RATES.dat LAPLACIAN_RATES.dat SIGMA OUT.png
# rates.dat (driftlab spectrum): k gamma_measured stderr gamma_theory t0 t1 r2 points seeded ...
if (ARGC < 4) { print 'usage: gnuplot -c rates.gp GAUSS_RATES LAPLACE_RATES SIGMA OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
sigma = real(ARG3)
set output ARG4
set title 'Linear decay rate per Fourier mode, 1-D torus (points: particles, lines: docs/THEORY.md)'
set xlabel '{/Symbol s} k'
set ylabel '{/Symbol g}(k)'
set logscale xy
set format y '10^{%T}'
set xrange [0.2:12]
set yrange [1e-9:2]
set samples 500
set key bottom left
seeded(col) = column(9) > 0 && column(2) > 0 ? column(col) : 1/0
plot gamma_gaussian(x) with lines lc rgb C[1] title 'Gaussian: s^2 e^{-s^2/2}', \
     gamma_laplacian1(x) with lines lc rgb C[2] title 'Laplacian: 2s^2/(1+s^2)^2', \
     ARG1 using ($1 * sigma):(seeded(2)):3 with yerrorbars pt 7 ps 1.2 lc rgb C[1] title 'Gaussian, measured', \
     ARG2 using ($1 * sigma):(seeded(2)):3 with yerrorbars pt 5 ps 1.2 lc rgb C[2] title 'Laplacian, measured'
