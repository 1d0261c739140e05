# The real node's files, written by scripts/node.sh start (which sources this after setting
# NODE_DIR, SOCK, PAUSE_IMAGE, BRIDGE, POD_SUBNET, NODE_IP, NODE_NAME, NODE_TAINT, CLUSTER_PKI and
# ADMIN_KUBECONFIG): containerd's, the CNI bridge's and the kubelet's configs, and the node's client
# certificate from the cluster CA. Functions only.
# shellcheck shell=bash
# shellcheck disable=SC2154 # the variables above are node.sh's

write_configs() {
    mkdir -p "$NODE_DIR"/{cni,kubelet,pki,containerd}
    cat >"$NODE_DIR/containerd.toml" <<EOF
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE: runc may not lower oom_score_adj (real-node-facts.md).
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni"
EOF
    # One bridge on a private /24; the host reaches pod IPs over it, nothing is masqueraded.
    cat >"$NODE_DIR/cni/10-sa-workload.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "sa-workload",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET" }]],
        "dataDir": "$NODE_DIR/cni-ipam"
      }
    }
  ]
}
EOF
    cat >"$NODE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This host mounts cgroup v1, which kubelet 1.35+ refuses unless told (it then warns).
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$SOCK
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $CLUSTER_PKI/ca.crt
authorization:
  mode: Webhook
registerWithTaints:
- key: ${NODE_TAINT%%=*}
  value: "true"
  effect: NoSchedule
failSwapOn: false
# The test images are imported, never pulled: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
serializeImagePulls: false
EOF
}

# The node's identity: a client certificate for system:node:NAME in system:nodes, from the CA.
write_node_credentials() {
    local pki="$NODE_DIR/pki" server
    openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/node.key" -out "$pki/node.csr" \
        -subj "/O=system:nodes/CN=system:node:$NODE_NAME" 2>/dev/null
    openssl x509 -req -in "$pki/node.csr" -CA "$CLUSTER_PKI/ca.crt" -CAkey "$CLUSTER_PKI/ca.key" \
        -CAcreateserial -CAserial "$pki/ca.srl" -days 30 -out "$pki/node.crt" 2>/dev/null
    server=$(kubectl --kubeconfig "$ADMIN_KUBECONFIG" config view --minify \
        -o jsonpath='{.clusters[0].cluster.server}')
    local kc="$NODE_DIR/kubelet.kubeconfig"
    kubectl config --kubeconfig "$kc" set-cluster local --server "$server" \
        --certificate-authority "$CLUSTER_PKI/ca.crt" >/dev/null
    kubectl config --kubeconfig "$kc" set-credentials node --client-certificate "$pki/node.crt" \
        --client-key "$pki/node.key" >/dev/null
    kubectl config --kubeconfig "$kc" set-context node --cluster local --user node >/dev/null
    kubectl config --kubeconfig "$kc" use-context node >/dev/null
}
