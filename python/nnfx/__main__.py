import sys

from nnfx.cli import main

sys.exit(main())
