package file

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swap puts tmp in dir's place in one step: renameat2(RENAME_EXCHANGE)
// swaps the two names atomically (tmp then holds the old directory, which
// the caller removes); a missing dir is a plain rename. Filesystems without
// RENAME_EXCHANGE get swapAside.
func swap(tmp, dir string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.ENOENT):
			// No dir yet. Another writer may create it first: then exchange.
			if err := os.Rename(tmp, dir); err == nil || (!errors.Is(err, unix.EEXIST) && !errors.Is(err, unix.ENOTEMPTY)) {
				return err
			}
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
			return swapAside(tmp, dir)
		default:
			return err
		}
	}
}

func isNotEmpty(err error) bool { return errors.Is(err, unix.ENOTEMPTY) }
