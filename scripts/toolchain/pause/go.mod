module sa-workload/toolchain/pause

go 1.26.0
