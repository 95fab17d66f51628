# The fitted gamma of each seeded mode at every point of a `driftlab sweep`.
# usage: gnuplot -c sweep.gp OUT.png SWEEP.dat [KEYS]
# sweep.dat: point, one column per grid key (KEYS of them, default 2), energy_distance, wall_s,
# then gamma at each seeded mode.  The x axis names each point by its grid values.
if (ARGC < 2) { print 'usage: gnuplot -c sweep.gp OUT.png SWEEP.dat [KEYS]'; exit 1 }
load system('dirname "'.ARG0.'"').'/style.gp'
keys = ARGC >= 3 ? int(ARG3) : 2
first = keys + 4
stats ARG2 nooutput
ncols = STATS_columns
set output ARG1
set xlabel 'sweep point'
set ylabel 'fitted decay rate {/Symbol g}'
set xtics rotate by -30
label(i) = keys == 1 ? strcol(2) : keys == 2 ? strcol(2).' '.strcol(3) : strcol(2).' '.strcol(3).' '.strcol(4)
plot for [c=first:ncols] ARG2 using 1:c:xtic(label(0)) with linespoints title sprintf('mode %d', c - first + 1)
