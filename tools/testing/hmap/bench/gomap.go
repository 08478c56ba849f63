// SPDX-License-Identifier: GPL-2.0

// Go's classic map (Go 1.19: buckets of eight slots with tophash bytes,
// overflow chains, incremental evacuation: the design hmap starts from),
// timed as bench.c times hmap and rculfhash, on the same keys, printing
// the same JSON records. Values are uint64; 8-byte keys are uint64 and
// 32-byte keys [32]byte.
//
// Usage: gomap [-q] [-n MAX_N]
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

type k32 [32]byte

func keys8(first uint64, n int) []uint64 {
	k := make([]uint64, n)
	for i := range k {
		k[i] = mix(first + uint64(i))
	}
	return k
}

func keys32(first uint64, n int) []k32 {
	k := make([]k32, n)
	for i := range k {
		for w := 0; w < 4; w++ {
			binary.LittleEndian.PutUint64(k[i][w*8:], mix(4*(first+uint64(i))+uint64(w)))
		}
	}
	return k
}

func order(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(mix(uint64(i)^0x5eed) % uint64(i+1))
		o[i], o[j] = o[j], o[i]
	}
	return o
}

func emit(n int, phase string, ks int, ns []float64, ops int) {
	s := append([]float64(nil), ns...)
	sort.Float64s(s)
	r := make([]string, len(ns))
	for i, v := range ns {
		r[i] = fmt.Sprintf("%.2f", v/float64(ops))
	}
	suffix := ""
	if ks == 32 {
		suffix = "_k32"
	}
	fmt.Printf("{\"structure\": \"gomap\", \"n\": %d, \"phase\": \"%s%s\", \"key_size\": %d, \"rounds\": [%s], \"ns_per_op\": %.2f, \"median_ns_per_op\": %.2f, \"max_ns_per_op\": %.2f, \"ops\": %d, \"reps\": %d}\n",
		n, phase, suffix, ks, strings.Join(r, ", "), s[0]/float64(ops),
		s[len(s)/2]/float64(ops), s[len(s)-1]/float64(ops), ops, len(ns))
}

var sink uint64

// Look up keys[i] for each i of o; every one must be there.
func lookups[K comparable](m map[K]uint64, keys []K, o []int) {
	for _, i := range o {
		v, ok := m[keys[i]]
		if !ok {
			panic("miss")
		}
		sink += v
	}
}

// Look up every key of miss; none may be there.
func misses[K comparable](m map[K]uint64, miss []K) {
	for _, k := range miss {
		if _, ok := m[k]; ok {
			panic("hit")
		}
	}
}

// The four timed phases on a map of K keys: uint64 for 8-byte keys, k32
// for 32-byte ones (@ks). Go compiles one copy per key type (a map of
// uint64 keys keeps the runtime's fast64 paths), as it would the same
// loops written twice.
func ops[K comparable](n, rounds, ks int, keys, miss []K) {
	o := order(n)
	passes := 1
	if n < 200000 {
		passes = 200000 / n
	}
	// An untimed pass before each timed lookup and delete pass when
	// there are several maps a round, as bench.c gives its maps, which
	// it builds side by side (this loop builds one at a time).
	warm := passes > 1
	t := make([][]float64, 4)
	for r := 0; r < rounds; r++ {
		var d [4]time.Duration
		for p := 0; p < passes; p++ {
			m := make(map[K]uint64)
			t0 := time.Now()
			for i, k := range keys {
				m[k] = uint64(i)
			}
			d[0] += time.Since(t0)
			if warm {
				lookups(m, keys, o)
			}
			t0 = time.Now()
			lookups(m, keys, o)
			d[1] += time.Since(t0)
			if warm {
				misses(m, miss)
			}
			t0 = time.Now()
			misses(m, miss)
			d[2] += time.Since(t0)
			if warm {
				lookups(m, keys, o)
			}
			t0 = time.Now()
			for _, i := range o {
				delete(m, keys[i])
			}
			d[3] += time.Since(t0)
		}
		for ph := range d {
			t[ph] = append(t[ph], float64(d[ph].Nanoseconds()))
		}
		runtime.GC()
	}
	for ph, name := range []string{"insert", "lookup_hit", "lookup_miss", "delete"} {
		emit(n, name, ks, t[ph], n*passes)
	}
}

func heap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Memory per entry beyond the key and value, after a GC.
func memory(n int) {
	k8, k32s := keys8(0, n), keys32(0, n)
	before := heap()
	m8 := make(map[uint64]uint64)
	for i, k := range k8 {
		m8[k] = uint64(i)
	}
	b := heap() - before
	// The keys stay alive through the measurement: freed, they would
	// count against the map.
	runtime.KeepAlive(k8)
	runtime.KeepAlive(k32s)
	fmt.Printf("{\"structure\": \"gomap\", \"n\": %d, \"phase\": \"overhead\", \"key_size\": 8, \"ns_per_op\": null, \"bytes_per_entry\": %.1f, \"heap_bytes\": %d}\n",
		n, float64(b)/float64(n)-16, b)
	runtime.KeepAlive(m8)
	m8 = nil
	before = heap()
	m32 := make(map[k32]uint64)
	for i, k := range k32s {
		m32[k] = uint64(i)
	}
	b = heap() - before
	runtime.KeepAlive(k32s)
	fmt.Printf("{\"structure\": \"gomap\", \"n\": %d, \"phase\": \"overhead_k32\", \"key_size\": 32, \"ns_per_op\": null, \"bytes_per_entry\": %.1f, \"heap_bytes\": %d}\n",
		n, float64(b)/float64(n)-40, b)
	runtime.KeepAlive(m32)
}

func latency(n int) {
	keys := keys8(0, n)
	lat := make([]int64, n)
	m := make(map[uint64]uint64)
	for i, k := range keys {
		t0 := time.Now()
		m[k] = uint64(i)
		lat[i] = time.Since(t0).Nanoseconds()
	}
	var sum int64
	for _, v := range lat {
		sum += v
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	for _, p := range []struct {
		name  string
		tenth int
	}{{"insert_lat_p50", 5000}, {"insert_lat_p99", 9900}, {"insert_lat_p999", 9990}, {"insert_lat_max", 10000}} {
		at := n * p.tenth / 10000
		if at > n-1 {
			at = n - 1
		}
		fmt.Printf("{\"structure\": \"gomap\", \"n\": %d, \"phase\": \"%s\", \"key_size\": 8, \"ns_per_op\": %d, \"mean_ns\": %.1f, \"ops\": %d}\n",
			n, p.name, lat[at], float64(sum)/float64(n), n)
	}
}

func main() {
	quick := flag.Bool("q", false, "up to 10^5 entries, one round")
	maxN := flag.Int("n", 10000000, "largest N")
	flag.Parse()
	if *quick && *maxN > 100000 {
		*maxN = 100000
	}
	fmt.Fprintf(os.Stderr, "gomap: %s\n", runtime.Version())
	for n := 1000; n <= *maxN; n *= 10 {
		rounds := 1
		if !*quick {
			switch {
			case n <= 100000:
				rounds = 5
			case n <= 1000000:
				rounds = 3
			}
		}
		fmt.Fprintf(os.Stderr, "gomap: n = %d\n", n)
		ops(n, rounds, 8, keys8(0, n), keys8(1<<40, n))
		ops(n, rounds, 32, keys32(0, n), keys32(1<<40, n))
		memory(n)
	}
	lat := 1000000
	if *maxN < lat {
		lat = *maxN
	}
	latency(lat)
	if sink == 42 {
		fmt.Fprintln(os.Stderr)
	}
}
