"""`python -m maestro_cli`, the same as the `maestro` console script."""

from maestro_cli.main import main

main()
