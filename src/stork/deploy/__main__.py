"""``python -m stork.deploy DIR [--check]``: write (or check) the generated manifests."""

import sys

from stork.deploy.manifests import main

sys.exit(main())
