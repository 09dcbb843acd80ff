//go:build tools

// Package tools makes `go mod tidy` keep the API package controller-gen reads.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
)
