// Command kube-controller-manager is the Kubernetes controller manager built
// from the same k8s.io/kubernetes module as kube-apiserver, for the nfs-gitops
// end-to-end tests only: with it, deleted namespaces finalize, garbage
// collection removes dependents and the Job controller creates pods.
package main

import (
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
