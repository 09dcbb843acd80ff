// Command etcd is the etcd server built from the published go.etcd.io/etcd
// modules at the version k8s.io/kubernetes selects, for the nfs-gitops
// end-to-end tests only.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
