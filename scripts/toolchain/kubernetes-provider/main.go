// Command pulumi-resource-kubernetes serves the Kubernetes provider from its published Go module.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json, which are generated
// at release time and absent from the module, so that package cannot be built as published. This
// main does the same job with copies of the module's committed schema.json and
// terraform-mapping.json, which build.sh places beside it (they are not committed here).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
