"""The native plugin `pulumi-resource-vpsorg`, run from source by Pulumi's Python language host."""

from pulumi_vpsorg.native._server import main

main()
