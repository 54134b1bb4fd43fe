package local

import (
	"errors"
	"strings"
	"syscall"
)

func isNotDir(err error) bool      { return errors.Is(err, syscall.ENOTDIR) }
func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }
func isNotEmpty(err error) bool    { return errors.Is(err, syscall.ENOTEMPTY) }

// escapes reports os.Root refusing a path that leaves the root (through a
// symbolic link); os does not export that error.
func escapes(err error) bool { return strings.Contains(err.Error(), "path escapes from parent") }
