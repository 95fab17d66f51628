# Figure 3: heat map of log10 |delta_hat(k, t)| over k and t, constant beside annealed.
# usage: gnuplot -c heatmap.gp CONST_HEATMAP.mat ANNEAL_HEATMAP.mat OUT.png [LEFT_TITLE] [RIGHT_TITLE]
if (ARGC < 3) { print 'usage: gnuplot -c heatmap.gp CONST.mat ANNEAL.mat OUT.png [TITLES]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
left = ARGC >= 4 ? ARG4 : 'constant bandwidth'
right = ARGC >= 5 ? ARG5 : 'annealed bandwidth'
set terminal pngcairo size 1500,650
set output ARG3
set multiplot layout 1,2 title 'log_{10} |{/Symbol d}_k(t)| over mode k and time t (bright: not yet damped)'
set xlabel 'k'
set ylabel 't'
set cblabel 'log_{10} |q_k - p_k|'
set cbrange [-9:-2]
set palette defined (0 '#000004', 1 '#3b0f70', 2 '#8c2981', 3 '#de4968', 4 '#fe9f6d', 5 '#fcfdbf')
unset key
unset grid
set autoscale xfix
set autoscale yfix
do for [side=1:2] {
  set title side == 1 ? left : right
  plot (side == 1 ? ARG1 : ARG2) nonuniform matrix using 1:2:($3 > 0 ? log10($3) : -20) with image
}
unset multiplot
