#!/usr/bin/env python3
"""Generate every output into generated/ with ./monitoring.yaml: what `make generate` runs once set up."""

import sys

from agentgrafana.entry import main

if __name__ == "__main__":
    sys.exit(main(["generate", *sys.argv[1:]]))
