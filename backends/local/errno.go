package local

import (
	"errors"
	"syscall"
)

func isNotDir(err error) bool      { return errors.Is(err, syscall.ENOTDIR) }
func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }
func isNotEmpty(err error) bool    { return errors.Is(err, syscall.ENOTEMPTY) }
