"""The ``flowport`` executable: ``flowport workflow ...`` goes to the light client commands,
everything else to ``gateway.cli`` (which loads the app, the components and the server)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["workflow"]:
        from gateway import workflow_cli

        return workflow_cli.run(arguments[1:])
    from gateway import cli

    return cli.main(arguments)


if __name__ == "__main__":
    sys.exit(main())
