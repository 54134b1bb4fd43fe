package main

import (
	"context"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/storage"
)

// drivers opens the remote storage kinds.
var drivers = map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error){}
