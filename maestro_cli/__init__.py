"""The `maestro` command line: click commands over `maestro_jupyter.client`."""
