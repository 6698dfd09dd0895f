"""``python -m pulumi_vpsorg.native <engine address>``: what the installed ``pulumi-resource-vpsorg`` runs."""

from ._server import main

if __name__ == "__main__":
    main()
