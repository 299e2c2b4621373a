package main

import (
	"math"
	"slices"
	"time"
)

// quantile of sorted-or-not durations, nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }

func p95(ds []time.Duration) time.Duration { return quantile(ds, 0.95) }

// fmedian is the median of floats.
func fmedian(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread is (max-min)/median of a figure over repetitions, in percent: how
// noisy it was.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	m := fmedian(xs)
	if m == 0 {
		return 0
	}
	return (slices.Max(xs) - slices.Min(xs)) / m * 100
}
