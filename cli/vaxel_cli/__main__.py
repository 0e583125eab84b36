"""``python -m vaxel_cli``: the same as the ``vaxel`` console script."""

from vaxel_cli.app import main

if __name__ == "__main__":
    main()
