# SPDX-License-Identifier: GPL-2.0
#
# Per-insert latency while growing to N entries, hmap and rhashtable on the
# same axes. Run by scripts/bench.sh:
#   gnuplot -e "data='latency.dat'; out='latency.png'; every=1000" latency.gp
# latency.dat (bench/results.py): entries, then max and mean of each window
# of `every` inserts in microseconds, hmap then rhashtable.

if (!exists("every")) every = 1000

set terminal pngcairo size 1200,700 font ",11"
set output out
set title sprintf("Insert latency while growing from empty (max and mean of every %d inserts; QEMU TCG)", every)
set xlabel "entries in the map"
set ylabel "latency per insert (µs, log scale)"
set logscale y
set format x "%.0s%c"
set grid xtics ytics mytics
set key top left opaque box
set xrange [0:*]

plot data using 1:2 with points pt 7 ps 0.5 lc rgb "#1f77b4" title "hmap: max", \
     data using 1:4 with points pt 7 ps 0.5 lc rgb "#d62728" title "rhashtable: max", \
     data using 1:3 with lines lw 2 lc rgb "#0b3d66" title "hmap: mean", \
     data using 1:5 with lines lw 2 lc rgb "#7a1010" title "rhashtable: mean"
