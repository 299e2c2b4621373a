//go:build !linux

package file

import (
	"errors"
	"syscall"
)

// swap puts tmp in dir's place (see swapAside: two renames).
func swap(tmp, dir string) error { return swapAside(tmp, dir) }

func isNotEmpty(err error) bool { return errors.Is(err, syscall.ENOTEMPTY) }
