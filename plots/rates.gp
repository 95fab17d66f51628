# Measured decay rate gamma(k) against sigma k, Gaussian beside Laplacian, log axes.
# usage: gnuplot -c rates.gp GAUSSIAN_RATES.dat LAPLACIAN_RATES.dat SIGMA OUT.png
# rates.dat columns: k gamma_measured stderr gamma_theory ... (driftlab rates)
if (ARGC < 4) { print 'usage: gnuplot -c rates.gp GAUSS_RATES LAPLACE_RATES SIGMA OUT.png'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
sigma = real(ARG3)
set output ARG4
set title 'Linear decay rate per Fourier mode (1-D torus): Gaussian collapses, Laplacian decays algebraically'
set xlabel '{/Symbol s} k'
set ylabel '{/Symbol g}(k)'
set logscale xy
set xrange [0.1:30]
set yrange [1e-6:1]
set samples 400
set key bottom left
plot gamma_gaussian(x) with lines lc rgb C[1] title 'Gaussian theory s^2 e^{-s^2/2}', \
     gamma_laplacian1(x) with lines lc rgb C[2] title 'Laplacian theory 2s^2/(1+s^2)^2', \
     ARG1 using ($1 * sigma):2:3 with yerrorbars pt 7 lc rgb C[1] title 'Gaussian, measured', \
     ARG2 using ($1 * sigma):2:3 with yerrorbars pt 5 lc rgb C[2] title 'Laplacian, measured'
