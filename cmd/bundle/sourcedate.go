package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// sourceDate is the bundle's creation time: SOURCE_DATE_EPOCH (seconds), or
// the Unix epoch when unset, so that a build is reproducible by default.
// (`make bundle` sets it from the last commit.)
func sourceDate() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 (e.g. git log -1 --format=%%ct)", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}
