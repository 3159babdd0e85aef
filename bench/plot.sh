#!/usr/bin/env bash
# Draws a run's PNGs with gnuplot from the data files summarize.py wrote:
#   latency_p50.png, latency_p99.png  per method and scenario (log scale;
#                                     a configuration with failed calls is left out)
#   wins.png                          race wins per target per second over the switch
# Usage: bash bench/plot.sh RUN_DIR
set -euo pipefail
run_dir=$1 data="$1/plot"
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not installed (apt-get install gnuplot-nox)" >&2; exit 1; }

for stat in p50 p99; do
    gnuplot <<GP
set terminal pngcairo size 1400,900 font 'sans,10' noenhanced
set output '$run_dir/latency_$stat.png'
set multiplot layout 2,2 title 'read latency $stat (ms, log scale) per scenario and method; missing bar = calls failed'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.01:*]
set grid ytics
set key top left
set xtics font ',8'
do for [q in 'pk prefix'] {
  do for [c in '1 8'] {
    set title sprintf('%s, %s client(s)', q, c)
    plot for [i=2:*] sprintf('$data/latency_${stat}_%s_c%s.dat', q, c) using i:xtic(1) title columnheader(i)
  }
}
unset multiplot
GP
done

if [[ -f "$data/wins.dat" ]]; then
    ntargets=$(head -n 1 "$data/wins.dat" | wc -w)
    marks=$(awk '{ printf "set arrow from %s, graph 0 to %s, graph 1 nohead dt 2; set label \"%s\" at %s, graph 0.95 offset 0.5,0 font \",9\"; ", $1, $1, $2, $1 }' "$data/phases.dat")
    gnuplot <<GP
set terminal pngcairo size 1200,500 font 'sans,10' noenhanced
set output '$run_dir/wins.png'
set title 'race_query wins per target per second (4 clients, primary-key lookups)'
set xlabel 'seconds'
set ylabel 'wins/s'
set grid
set key outside right
$marks
plot for [i=2:$ntargets] '$data/wins.dat' using 1:i with lines lw 2 title columnheader(i)
GP
fi
echo "plot.sh: PNGs in $run_dir"
