//go:build tools

// Package tools makes `go mod tidy` keep the API package controller-gen reads.
package tools

import (
	_ "github.com/kubernetes-csi/external-snapshotter/client/v8/apis/volumesnapshot/v1"
)
